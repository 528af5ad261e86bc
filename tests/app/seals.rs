//! A beneficiary's sealed private details are bound to their row: a sealed blob copied onto
//! another beneficiary's row does not open there, and rows sealed in the old unbound format
//! are re-sealed when the service starts.

use charity_relay::entities::beneficiary_private;
use charity_relay::services::beneficiaries::{self, BeneficiaryInput, PrivateDetails};
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::support::TestApp;

const OTHER_NAME: &str = "李淑芬";
const OTHER_PHONE: &str = "13611112222";

#[tokio::test]
async fn a_sealed_blob_moved_to_another_row_does_not_open_there() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let form = BeneficiaryInput {
        community_id: world.community_id.to_string(),
        group: "disabled".into(),
        full_name: OTHER_NAME.into(),
        phone: OTHER_PHONE.into(),
        ..Default::default()
    };
    let secret = &app.config.secret_key;
    let first = beneficiaries::register(&app.db, secret, &world.a().worker, &form, Utc::now())
        .await
        .expect("register")
        .id;
    let second = world.b().beneficiary_id;
    // Someone with write access to the database moves the first person's blob to the second row.
    app.db
        .execute_unprepared(&format!(
            "UPDATE beneficiary_private SET sealed = (SELECT sealed FROM beneficiary_private WHERE beneficiary_id = {first}) \
             WHERE beneficiary_id = {second}"
        ))
        .await
        .expect("copy the blob");

    let err = beneficiaries::view(&app.db, secret, &world.b().worker, second, Utc::now())
        .await
        .expect_err("a moved blob must not open");
    let message = err.to_string();
    assert!(
        message.contains(&format!("beneficiary {second}")) && message.contains("sealed for another row"),
        "{message}"
    );
    assert!(!message.contains(OTHER_NAME) && !message.contains(OTHER_PHONE));

    let mut worker = app.login("worker1@example.org").await;
    let (status, page) = worker.get(&format!("/beneficiaries/{second}")).await;
    assert_eq!(status, 500);
    assert!(!page.contains(OTHER_NAME) && !page.contains(OTHER_PHONE), "{page}");
    // The first person's own row still opens.
    let (_, details) = beneficiaries::view(&app.db, secret, &world.a().worker, first, Utc::now())
        .await
        .expect("own row opens");
    assert_eq!(details.full_name, OTHER_NAME);
}

#[tokio::test]
async fn an_old_unbound_row_is_resealed_at_start_up_and_opens_afterwards() {
    let mut app = TestApp::spawn().await;
    let world = app.world(0).await;
    let id = world.a().beneficiary_id;
    app.halt().await;

    // Write the row as the service did before rows were bound: no associated data, version 1.
    let details = PrivateDetails {
        full_name: OTHER_NAME.into(),
        phone: OTHER_PHONE.into(),
        address: "旧格式地址".into(),
        notes: String::new(),
        id_number: String::new(),
        ..PrivateDetails::default()
    };
    let json = serde_json::to_vec(&details).expect("json");
    let key = beneficiaries::private_key(&app.config.secret_key);
    let unbound = charity_relay::crypto::seal(&key, &json, &[]).expect("seal");
    beneficiary_private::Entity::update_many()
        .col_expr(beneficiary_private::Column::Sealed, Expr::value(unbound))
        .col_expr(
            beneficiary_private::Column::SealVersion,
            Expr::value(beneficiaries::UNBOUND_SEAL_VERSION),
        )
        .filter(beneficiary_private::Column::BeneficiaryId.eq(id))
        .exec(&app.db)
        .await
        .expect("old format");
    let row = beneficiary_private::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .expect("query")
        .expect("row");
    assert!(
        beneficiaries::open_private(&app.config.secret_key, &row).is_err(),
        "an unbound row is not opened for a reader"
    );

    app.resume().await;
    let row = beneficiary_private::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .expect("query")
        .expect("row");
    assert_eq!(row.seal_version, beneficiaries::SEAL_VERSION, "re-sealed at start-up");
    let mut worker = app.login("worker0@example.org").await;
    let (status, page) = worker.get(&format!("/beneficiaries/{id}")).await;
    assert_eq!(status, 200);
    assert!(page.contains(OTHER_NAME) && page.contains("旧格式地址"), "{page}");

    // Running it again changes nothing (as a second instance or `migrate` would).
    let again = beneficiaries::reseal_unbound(&app.db, &app.config.secret_key)
        .await
        .expect("reseal");
    assert_eq!(again, 0);
    let cli = app.cli(&["migrate"], "");
    assert_eq!(cli.code, Some(0), "{}", cli.stderr);
}
