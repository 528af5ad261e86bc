//! The console adapter: the same dialogue in a terminal, fed lines on standard input.

use bots::Locale;
use bots::text;
use sea_orm::ConnectionTrait;

use crate::support::{TestApp, scalar_i64};

#[tokio::test]
async fn the_console_browses_claims_and_releases_by_numbered_choices() {
    let app = TestApp::spawn().await;
    let world = app.world(2).await;
    for (i, lang) in Locale::ALL.into_iter().enumerate() {
        let merchant = world.merchants[i].id;
        app.db
            .execute_unprepared(&format!(
                "UPDATE merchants SET locale = '{}' WHERE id = {merchant}",
                lang.as_str()
            ))
            .await
            .expect("locale");
        app.post_need(world.a(), 5).await;
        // /needs → [1] Claim all #1 [2] Claim part #1 …; "2" presses Claim part; "3" is
        // then the typed quantity; /mine → [1] Delivered #1 [2] Release #1; "2", then "1"
        // confirms the release.
        let input = "/needs\n2\nabc\n3\n/mine\n2\n1\n/help\n";
        let run = app.cli(&["bot-console", "--merchant", &merchant.to_string()], input);
        assert_eq!(run.code, Some(0), "{run:?}");
        let out = &run.stdout;
        for expected in [
            text::welcome(lang, &format!("爱心商户{i}")),
            format!("[1] {}", text::claim_all_button(lang, 1, false)),
            format!("[2] {}", text::claim_part_button(lang, 1, false)),
            text::not_a_number(lang, 5),
            format!("[2] {}", text::release_button(lang, 1)),
            format!("[1] {}", text::release_yes_button(lang)),
            text::help(lang),
        ] {
            assert!(out.contains(&expected), "{expected:?} missing from:\n{out}");
        }
        assert!(out.contains("3 袋"), "{out}");
        let released = scalar_i64(
            &app.db,
            &format!(
                "SELECT COUNT(*) FROM claims WHERE merchant_id = {merchant} AND quantity = 3 AND status = 'released'"
            ),
        )
        .await;
        assert_eq!(released, 1, "{out}");
    }
    let unknown = app.cli(&["bot-console", "--merchant", "987654"], "/needs\n");
    assert_eq!(unknown.code, Some(2), "{unknown:?}");
    assert!(unknown.stderr.contains("--merchant"), "{unknown:?}");
}
