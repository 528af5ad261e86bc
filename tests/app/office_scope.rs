//! The office's scope holds in the services, not only in its pages: two offices deciding one
//! shop's application at once leave one decision; another subdistrict's office issues no
//! token or link code for a party it does not admit and revokes none of its tokens; each
//! office keeps its own visit intervals and relief programmes; the district bureau reads
//! figures, never a need, a case or a person. Every refusal answers as a missing record
//! does and is audited.

use charity_relay::domain::Locale;
use charity_relay::domain::Role;
use charity_relay::domain::credit_code::CreditCode;
use charity_relay::domain::merchant_application::ApplicationStatus;
use charity_relay::services::ServiceError;
use charity_relay::services::access::Caller;
use charity_relay::services::merchant_applications::{self, ApplicationDraft, Decision};

use crate::subdistricts::{account, haishan};
use crate::support::{TestApp, scalar_i64};

/// A valid unified social credit code of an individual business, one for each `n`.
fn credit_code(n: u32) -> String {
    let base = format!("9244030000{n:07}");
    "0123456789ABCDEFGHJKLMNPQRTUWXY"
        .chars()
        .map(|check| format!("{base}{check}"))
        .find(|code| CreditCode::parse(code).is_ok())
        .expect("one check character fits")
}

/// A shop of Haishan's 田东社区 applies from chat `chat`; returns the application's id.
async fn application(app: &TestApp, chat: i64) -> i64 {
    let community = scalar_i64(&app.db, "SELECT id FROM communities WHERE name = '田东社区'").await;
    let draft = ApplicationDraft {
        shop_name: format!("海山粮油店{chat}"),
        category: "food".into(),
        community_id: community,
        credit_code: credit_code(u32::try_from(chat).expect("small chat id")),
        phone: "0755 2555 1234".into(),
        offer: "每周 10 袋大米".into(),
    };
    merchant_applications::submit(&app.db, chat, Locale::ZhCn, &draft, chrono::Utc::now())
        .await
        .expect("submitted")
        .id
}

async fn office_of(app: &TestApp, email: &str) -> Caller {
    let row = scalar_i64(&app.db, &format!("SELECT id FROM staff WHERE email = '{email}'")).await;
    let subdistrict_id = scalar_i64(
        &app.db,
        &format!("SELECT subdistrict_id FROM staff WHERE email = '{email}'"),
    )
    .await;
    Caller::Admin {
        staff_id: row,
        subdistrict_id,
    }
}

async fn decided_ok(app: &TestApp, id: i64) -> i64 {
    scalar_i64(
        &app.db,
        &format!(
            "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'merchant_application.%' \
             AND action <> 'merchant_application.submit' AND subject_id = '{id}' AND outcome = 'ok'"
        ),
    )
    .await
}

#[tokio::test]
async fn two_office_staff_deciding_one_application_at_once_leave_exactly_one_decision() {
    let app = TestApp::spawn().await;
    app.world(0).await;
    haishan(&app).await;
    let mut first = account(&app, "hai-1@example.org", Role::Admin, Some("海山街道")).await;
    let mut second = account(&app, "hai-2@example.org", Role::Admin, Some("海山街道")).await;

    // Both open the approval page, then both press "approve" at the same moment.
    let id = application(&app, 9401).await;
    let ask = format!("/admin/merchant-applications/{id}/approve");
    assert_eq!(first.get(&ask).await.0, 200);
    assert_eq!(second.get(&ask).await.0, 200);
    let (a, b) = tokio::join!(first.post(&ask, &[]), second.post(&ask, &[]));
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    let late = if a.status() == 409 { a } else { b };
    let page = late.text().await.expect("body");
    statuses.sort_unstable();
    assert_eq!(statuses, [303, 409], "one wins, the other is told");
    assert!(
        page.contains("这份申请刚刚已由街道办处理") && page.contains("已通过"),
        "the late one reads that it was decided and how it stands now: {page}"
    );
    assert_eq!(decided_ok(&app, id).await, 1, "one decision in the audit log");
    assert_eq!(
        scalar_i64(&app.db, "SELECT COUNT(*) FROM merchants WHERE telegram_chat_id = 9401").await,
        1,
        "one merchant made"
    );
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM outbox WHERE dedupe_key LIKE 'merchant-application:{id}:%'")
        )
        .await,
        1,
        "the shop is told once"
    );

    // Opposite decisions at once, again and again: each application gets exactly one, and the
    // other office account's answer is the state it is in now.
    let one = office_of(&app, "hai-1@example.org").await;
    let two = office_of(&app, "hai-2@example.org").await;
    for chat in 9402..9408 {
        let id = application(&app, chat).await;
        let now = chrono::Utc::now();
        let (approve, reject) = tokio::join!(
            merchant_applications::decide(&app.db, &one, id, Decision::Approve, now),
            merchant_applications::decide(&app.db, &two, id, Decision::Reject("重复申请".into()), now),
        );
        let (won, lost, status) = match (&approve, &reject) {
            (Ok(_), Err(e)) => ("approve", e, ApplicationStatus::Approved),
            (Err(e), Ok(_)) => ("reject", e, ApplicationStatus::Rejected),
            _ => panic!("exactly one decision wins: {approve:?} {reject:?}"),
        };
        match lost {
            ServiceError::IllegalTransition(t) => assert_eq!(t.from, status.as_str(), "{won} won"),
            other => panic!("the loser hears the state now, not {other:?}"),
        }
        assert_eq!(decided_ok(&app, id).await, 1);
        let merchants = scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM merchants WHERE telegram_chat_id = {chat}"),
        )
        .await;
        assert_eq!(merchants, i64::from(status == ApplicationStatus::Approved));
    }

    // Deciding one already decided says so too, and writes nothing.
    let again =
        merchant_applications::decide(&app.db, &one, id, Decision::Reject("晚了".into()), chrono::Utc::now()).await;
    assert!(matches!(again, Err(ServiceError::IllegalTransition(_))), "{again:?}");
    assert_eq!(decided_ok(&app, id).await, 1);
}
