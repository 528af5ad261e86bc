//! API tokens: the list (whose token, label, issued, state) and the issue form, which picks
//! an organization or a merchant from a list rather than by a typed id.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

use super::super::views::local_time;
use super::super::{Chrome, OrPage, PageError, PageResult, render};
use super::sorting::by_name;
use crate::AppState;
use crate::services::ServiceError;
use crate::services::api_tokens::{self, TokenOwner};
use crate::services::office::{self, TokenHolder, TokenSummary};
use crate::web::session::Staff;

/// One token in the list.
struct TokenRow {
    id: i64,
    owner: String,
    label: String,
    created: String,
    active: bool,
}

/// A choice of the owner select: value (`organization:3`, `merchant:5`) and label.
type OwnerChoice = (String, String);

#[derive(Template)]
#[template(path = "admin_tokens.html")]
struct TokensPage {
    c: Chrome,
    rows: Vec<TokenRow>,
    organizations: Vec<OwnerChoice>,
    merchants: Vec<OwnerChoice>,
    shown: String,
    error: String,
}

/// Names of organizations and merchants by id, for labelling tokens.
struct Owners {
    organizations: Vec<(i64, String)>,
    merchants: Vec<(i64, String)>,
}

impl Owners {
    async fn load(state: &AppState, staff: &Staff) -> Result<Self, ServiceError> {
        let now = chrono::Utc::now();
        let mut organizations: Vec<(i64, String)> = office::organizations(&state.db, &staff.caller, now)
            .await?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect();
        let mut merchants: Vec<(i64, String)> = office::merchants(&state.db, &staff.caller, now)
            .await?
            .into_iter()
            .map(|m| (m.id, m.name))
            .collect();
        organizations.sort_by(|a, b| by_name(&a.1, &b.1));
        merchants.sort_by(|a, b| by_name(&a.1, &b.1));
        Ok(Owners {
            organizations,
            merchants,
        })
    }

    fn name(&self, staff: &Staff, k: &TokenSummary) -> String {
        let t = staff.t;
        let find = |list: &[(i64, String)], id: i64| {
            list.iter()
                .find(|(i, _)| *i == id)
                .map(|(_, n)| n.clone())
                .unwrap_or_default()
        };
        match k.holder {
            TokenHolder::Organization(o) => t.fill(
                "admin.token_org",
                &[("id", &o.to_string()), ("name", &find(&self.organizations, o))],
            ),
            TokenHolder::Merchant(m) => t.fill(
                "admin.token_merchant",
                &[("id", &m.to_string()), ("name", &find(&self.merchants, m))],
            ),
        }
    }
}

/// The owner of token `k`, labelled ("组织：… #3").
pub(super) async fn owner_name(state: &AppState, staff: &Staff, k: &TokenSummary) -> String {
    match Owners::load(state, staff).await {
        Ok(owners) => owners.name(staff, k),
        Err(_) => String::new(),
    }
}

async fn tokens_page(state: &AppState, staff: &Staff, shown: String, error: String) -> PageResult {
    let t = staff.t;
    let list = office::tokens(&state.db, &staff.caller, chrono::Utc::now())
        .await
        .or_page(t)?;
    let owners = Owners::load(state, staff).await.or_page(t)?;
    let rows = list
        .iter()
        .map(|k| TokenRow {
            id: k.id,
            owner: owners.name(staff, k),
            label: k.label.clone(),
            created: local_time(k.created_at),
            active: k.active,
        })
        .collect();
    let choices = |kind: &str, list: &[(i64, String)]| -> Vec<OwnerChoice> {
        list.iter()
            .map(|(id, name)| (format!("{kind}:{id}"), format!("{name} · #{id}")))
            .collect()
    };
    let status = if error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(render(
        status,
        TokensPage {
            c: Chrome::new(t, &staff.session, "admin.tokens"),
            rows,
            organizations: choices("organization", &owners.organizations),
            merchants: choices("merchant", &owners.merchants),
            shown,
            error,
        },
    ))
}

/// `GET /admin/tokens`.
pub async fn tokens(State(state): State<AppState>, staff: Staff) -> PageResult {
    tokens_page(&state, &staff, String::new(), String::new()).await
}

/// The token form: the owner picked from the select, or (for scripts written against the
/// earlier form) an organization name or a merchant id.
#[derive(Debug, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    owner: String,
    #[serde(default)]
    organization: String,
    #[serde(default)]
    merchant: String,
    #[serde(default)]
    label: String,
}

impl TokenForm {
    /// The owner as asked; whether the office may issue for it is the service's to say.
    fn owner(&self) -> Option<TokenOwner> {
        let id = |raw: &str| raw.trim().parse::<i64>().ok();
        match self.owner.split_once(':') {
            Some(("organization", raw)) => id(raw).map(TokenOwner::OrganizationId),
            Some(("merchant", raw)) => id(raw).map(TokenOwner::Merchant),
            _ if !self.organization.trim().is_empty() => {
                Some(TokenOwner::Organization(self.organization.trim().to_owned()))
            }
            _ => id(self.merchant.as_str()).map(TokenOwner::Merchant),
        }
    }
}

/// `POST /admin/tokens`: issues a token and shows it once.
pub async fn issue_token(State(state): State<AppState>, staff: Staff, Form(form): Form<TokenForm>) -> PageResult {
    let t = staff.t;
    let Some(owner) = form.owner() else {
        let error = t.get("admin.token_owner_missing").to_owned();
        return tokens_page(&state, &staff, String::new(), error).await;
    };
    // The service refuses another subdistrict's party (audited, as unknown as a missing one)
    // and anyone but the office.
    match api_tokens::issue(&state.db, &staff.caller, owner, &form.label, chrono::Utc::now()).await {
        Ok(token) => {
            let shown = t.fill("admin.token_shown", &[("token", &token)]);
            tokens_page(&state, &staff, shown, String::new()).await
        }
        Err(ServiceError::NotFound(_)) => {
            let error = t.get("admin.token_owner_unknown").to_owned();
            tokens_page(&state, &staff, String::new(), error).await
        }
        Err(e) => Err(PageError::new(t, e)),
    }
}
