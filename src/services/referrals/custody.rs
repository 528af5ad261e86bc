//! The custody of a case: its owners over time, and what each may read of its history.

// The parts of one aggregate share its imports and private helpers.
use super::*;

/// The stored custody of case `b`; a case registered before custody was kept (or by a path
/// that writes none) has had one owner since it was registered.
pub async fn custody<C: ConnectionTrait>(conn: &C, b: &beneficiary::Model) -> Result<Custody, ServiceError> {
    let rows = case_custody::Entity::find()
        .filter(case_custody::Column::BeneficiaryId.eq(b.id))
        .order_by_asc(case_custody::Column::FromAt)
        .order_by_asc(case_custody::Column::Id)
        .all(conn)
        .await?;
    if rows.is_empty() {
        return Ok(Custody::new(b.organization_id, b.created_at));
    }
    let segments = rows
        .into_iter()
        .map(|r| Segment {
            organization_id: r.organization_id,
            from: r.from_at,
            until: r.until_at,
        })
        .collect();
    Custody::from_segments(segments)
        .ok_or_else(|| ServiceError::Internal(format!("case {} has a broken custody", b.id)))
}

/// What `caller` may read of case `b`'s history: all for the office and the owner, up to
/// the hand-over for an earlier owner, nothing otherwise.
pub async fn history_access<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    b: &beneficiary::Model,
) -> Result<HistoryAccess, ServiceError> {
    match caller {
        Caller::System => Ok(HistoryAccess::All),
        Caller::Admin { .. } => Ok(if caller.org_scope().permits(conn, b.organization_id).await? {
            HistoryAccess::All
        } else {
            HistoryAccess::None
        }),
        Caller::District { .. } => Ok(HistoryAccess::None),
        Caller::SocialWorker { organization_id, .. } | Caller::Organization { organization_id, .. } => {
            if *organization_id == b.organization_id {
                return Ok(HistoryAccess::All);
            }
            Ok(custody(conn, b).await?.access(*organization_id))
        }
        Caller::Merchant { .. } => Ok(HistoryAccess::None),
    }
}
