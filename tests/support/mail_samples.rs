//! A payload for each email kind, of the shape its writer in src/services uses: the email
//! snapshot tests and the real-browser layout test render the same messages.

/// A payload of the shape each kind's writer uses (see `enqueue(` in src/services).
pub fn sample(kind: &str) -> serde_json::Value {
    use serde_json::json;
    let claim = json!({ "claim_id": 7, "need_id": 42, "title": "米和食用油", "quantity": 2, "unit": "袋" });
    match kind {
        "resident-need-registered" => json!({ "need_id": 42, "title": "米和食用油", "quantity": 5, "unit": "袋" }),
        "resident-need-claimed" | "worker-need-claimed" => json!({
            "claim_id": 7, "need_id": 42, "title": "米和食用油", "merchant_name": "海景粮油店",
            "quantity": 2, "unit": "袋", "expected_date": "2026-12-08"
        }),
        "resident-need-sponsored" => json!({
            "need_id": 43, "title": "每月米面油", "merchant_name": "万家福超市", "quantity": 1, "unit": "份",
            "period_zh": "2027年1月", "period_en": "January 2027", "expected_date": "2027-01-31"
        }),
        "resident-need-delivered" => json!({
            "claim_id": 7, "need_id": 42, "title": "米和食用油", "merchant_name": "海景粮油店", "quantity": 2, "unit": "袋"
        }),
        "worker-delivery-to-confirm" => json!({
            "claim_id": 7, "need_id": 42, "title": "米和食用油", "merchant_name": "海景粮油店", "quantity": 2, "unit": "袋",
            "category": "food", "note": "放在社区服务站前台，已交给值班社工", "reason": null, "redelivery": false
        }),
        "resident-need-cancelled" | "resident-need-expired" => json!({ "need_id": 42, "title": "米和食用油" }),
        "resident-hours-confirmed" => json!({
            "activity": "社区敬老探访", "tenths": 25, "served_on": "2026-11-28", "balance_tenths": 130
        }),
        "resident-event-invite" => json!({
            "event_id": 3, "volunteer_id": 9, "title": "冬日爱心集市", "event_kind": "market", "when": "2026-12-20 09:30–12:00",
            "place": "东和社区党群服务中心 二楼活动室", "organizer": "沙头角街道社工站",
            "roles": [{ "role_id": 4, "name": "帮手", "slots": 8, "free": 5 }, { "role_id": 5, "name": "急救", "slots": 2, "free": 0 }]
        }),
        "resident-event-signed-up"
        | "resident-event-promoted"
        | "resident-event-reminder"
        | "resident-event-signup-cancelled" => json!({
            "event_id": 3, "volunteer_id": 9, "title": "冬日爱心集市", "event_kind": "market", "when": "2026-12-20 09:30–12:00",
            "place": "东和社区党群服务中心 二楼活动室", "organizer": "沙头角街道社工站", "role": "帮手",
            "waitlisted": false, "position": 0
        }),
        "resident-event-cancelled" => json!({
            "event_id": 3, "volunteer_id": 9, "title": "冬日爱心集市", "event_kind": "market", "when": "2026-12-20 09:30–12:00",
            "place": "东和社区党群服务中心 二楼活动室", "organizer": "沙头角街道社工站", "role": "帮手",
            "waitlisted": false, "position": 0, "reason": "场地临时维修，无法使用"
        }),
        "worker-claim-released" => claim,
        "worker-claim-lapsed" => json!({ "merchant_name": "海景粮油店", "claim": claim }),
        "worker-need-near-deadline" => json!({
            "need_id": 42, "title": "米和食用油", "left": 3, "unit": "袋", "deadline": "2026-12-01"
        }),
        "worker-duplicate-coordinate" => json!({
            "beneficiary_id": 3, "own_code": "B-7F3K", "other_code": "B-Q9WD", "other_organization": "盐田区妇女互助会"
        }),
        "worker-referral-received" | "worker-referral-reminder" | "worker-referral-accepted" => json!({
            "referral_id": 5, "code": "B-7F3K", "group": "elderly_alone", "community": ["东和社区", "Donghe"],
            "area": "elder_care", "other_organization": "盐田区妇女互助会",
            "reason": "独居长者需要长期上门照护，本站人手不足", "due": "2026-12-10"
        }),
        "worker-referral-declined" => json!({
            "referral_id": 5, "code": "B-7F3K", "group": "elderly_alone", "community": ["东和社区", "Donghe"],
            "area": "elder_care", "other_organization": "盐田区妇女互助会",
            "reason": "独居长者需要长期上门照护，本站人手不足", "due": "2026-12-10", "declined": "no_capacity"
        }),
        "application-verify" => json!({ "application_id": 4, "name": "海山长者关爱协会" }),
        "application-more-info" => json!({
            "application_id": 4, "name": "海山长者关爱协会", "message": "请补充登记证书照片和近一年的服务记录。"
        }),
        "application-approved" => json!({ "application_id": 4, "name": "海山长者关爱协会", "staff_id": 9 }),
        "application-rejected" => json!({
            "application_id": 4, "name": "海山长者关爱协会", "message": "服务范围不在本街道，请向所在街道申请。",
            "office": ["海山街道", "Haishan"]
        }),
        // The consent email takes its values from the links, not from a payload.
        "contact-consent" => json!({}),
        "digest" => json!({ "items": [
            { "kind": "resident-need-claimed", "payload": sample("resident-need-claimed") },
            { "kind": "resident-need-delivered", "payload": sample("resident-need-delivered") },
        ]}),
        other => panic!("no sample for {other}"),
    }
}
