//! The case file's relief ledger tab (`/beneficiaries/{id}/ledger`) and the office's list of relief
//! programmes (`/admin/programmes`).

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::views::CaseTabs;
use super::{Chrome, Field, Options, OrPage, PageError, PageResult, enum_options, field, render};
use crate::AppState;
use crate::domain::Locale;
use crate::domain::input::FieldErrors;
use crate::domain::ledger::{EntryInput, Regularity, ReliefForm, ReliefKind, format_yuan};
use crate::i18n::Tr;
use crate::services::ServiceError;
use crate::services::access::Caller;
use crate::services::ledger::{self, Ledger, LedgerItem, Programme, Source};
use crate::web::session::Staff;

/// One line of the timeline, in the reader's language.
struct Row {
    on: String,
    what: String,
    detail: String,
    kind: String,
    form: String,
    value: String,
}

#[derive(Template)]
#[template(path = "case_ledger.html")]
struct LedgerPage {
    c: Chrome,
    tabs: CaseTabs,
    id: i64,
    code: String,
    rows: Vec<Row>,
    more: usize,
    per_year: Vec<(i32, String)>,
    form_labels: Vec<String>,
    grid: Vec<(String, Vec<String>)>,
    can_record: bool,
    /// For an organization that referred the case on: "read-only, up to …".
    read_only: String,
    kinds: Options,
    regularities: Options,
    forms: Options,
    programmes: Options,
    kind_error: String,
    regularity_error: String,
    form_error: String,
    programme_error: String,
    amount: Field,
    period_from: Field,
    period_to: Field,
    description: Field,
}

/// The hand entry's fields.
#[derive(Debug, Default, Deserialize)]
pub struct EntryForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    regularity: String,
    #[serde(default)]
    form: String,
    #[serde(default)]
    programme_id: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    period_from: String,
    #[serde(default)]
    period_to: String,
    #[serde(default)]
    description: String,
}

impl EntryForm {
    fn input(&self) -> EntryInput {
        EntryInput {
            kind: self.kind.clone(),
            regularity: self.regularity.clone(),
            form: self.form.clone(),
            programme_id: self.programme_id.clone(),
            amount: self.amount.clone(),
            period_from: self.period_from.clone(),
            period_to: self.period_to.clone(),
            description: self.description.clone(),
        }
    }
}

fn pick(t: Tr, pair: &(String, String)) -> String {
    if t.0 == Locale::En {
        pair.1.clone()
    } else {
        pair.0.clone()
    }
}

fn row(t: Tr, item: &LedgerItem) -> Row {
    let (what, detail) = match &item.source {
        Source::Delivery {
            title,
            quantity,
            unit,
            merchant,
        } => (
            format!("{} · {title} × {quantity} {unit}", t.get("ledger.from_relay")),
            format!("{} {merchant}", t.get("ledger.merchant")),
        ),
        Source::Entry {
            regularity,
            programme,
            until,
            description,
            ..
        } => {
            let period = if *until == item.on {
                String::new()
            } else {
                format!("{} {until} · ", t.get("ledger.until"))
            };
            (
                format!("{} · {}", pick(t, programme), regularity.label(t.0)),
                format!("{period}{description}"),
            )
        }
    };
    Row {
        on: item.on.to_string(),
        what,
        detail,
        kind: item.kind.label(t.0).to_owned(),
        form: item.form.label(t.0).to_owned(),
        value: item
            .fen
            .map(|f| format!("¥{}", format_yuan(f)))
            .unwrap_or_else(|| t.get("ledger.no_value").to_owned()),
    }
}

fn with_choose(t: Tr, mut options: Options, selected: &str) -> Options {
    options.insert(0, (String::new(), t.get("form.choose").to_owned(), selected.is_empty()));
    options
}

fn page(
    staff: &Staff,
    book: &Ledger,
    programmes: &[Programme],
    form: &EntryForm,
    errors: &FieldErrors,
    status: StatusCode,
) -> PageResult {
    let t = staff.t;
    let message = |name: &str| errors.get(name).map(|e| e.message(t.0)).unwrap_or_default();
    let programme_options: Options = programmes
        .iter()
        .map(|p| {
            (
                p.id.to_string(),
                pick(t, &p.name),
                p.id.to_string() == form.programme_id,
            )
        })
        .collect();
    Ok(render(
        status,
        LedgerPage {
            c: Chrome::new(t, &staff.session, "ledger.title"),
            tabs: CaseTabs::of_history(book.beneficiary_id, "ledger", book.read_only_until.is_some()),
            id: book.beneficiary_id,
            code: book.code.clone(),
            rows: book.items.iter().map(|i| row(t, i)).collect(),
            more: book.total_items - book.items.len(),
            per_year: book
                .per_year
                .iter()
                .map(|(y, fen)| (*y, format!("¥{}", format_yuan(*fen))))
                .collect(),
            form_labels: ReliefForm::ALL.iter().map(|f| f.label(t.0).to_owned()).collect(),
            grid: ReliefKind::ALL
                .iter()
                .zip(book.last_twelve_months)
                .map(|(k, sums)| {
                    (
                        k.label(t.0).to_owned(),
                        sums.iter().map(|f| format!("¥{}", format_yuan(*f))).collect(),
                    )
                })
                .collect(),
            can_record: matches!(staff.caller, Caller::SocialWorker { .. }) && book.read_only_until.is_none(),
            read_only: book
                .read_only_until
                .map(|t0| t.fill("case.read_only_until", &[("date", &super::views::local_time(t0))]))
                .unwrap_or_default(),
            kinds: with_choose(
                t,
                enum_options(ReliefKind::ALL, ReliefKind::as_str, ReliefKind::label, t, &form.kind),
                &form.kind,
            ),
            regularities: with_choose(
                t,
                enum_options(
                    Regularity::ALL,
                    Regularity::as_str,
                    Regularity::label,
                    t,
                    &form.regularity,
                ),
                &form.regularity,
            ),
            forms: with_choose(
                t,
                enum_options(ReliefForm::ALL, ReliefForm::as_str, ReliefForm::label, t, &form.form),
                &form.form,
            ),
            programmes: with_choose(t, programme_options, &form.programme_id),
            kind_error: message("kind"),
            regularity_error: message("regularity"),
            form_error: message("form"),
            programme_error: message("programme_id"),
            amount: field(t, "amount", &form.amount, errors),
            period_from: field(t, "period_from", &form.period_from, errors),
            period_to: field(t, "period_to", &form.period_to, errors),
            description: field(t, "description", &form.description, errors),
        },
    ))
}

/// `GET /beneficiaries/{id}/ledger`: the timeline, its totals and (for the owning organization's
/// workers) the form for a hand entry.
pub async fn show(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    let t = staff.t;
    let book = ledger::ledger(&state.db, &staff.caller, id, chrono::Utc::now())
        .await
        .or_page(t)?;
    page(
        &staff,
        &book,
        &book.programmes,
        &EntryForm::default(),
        &FieldErrors::default(),
        StatusCode::OK,
    )
}

/// `POST /beneficiaries/{id}/ledger`: records a hand entry; 303 back to the ledger, or the page
/// again with each error beside its field and every value kept (422).
pub async fn add(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<EntryForm>,
) -> PageResult {
    let t = staff.t;
    let now = chrono::Utc::now();
    match ledger::add_entry(&state.db, &staff.caller, id, &form.input(), now).await {
        Ok(_) => Ok(Redirect::to(&format!("/beneficiaries/{id}/ledger")).into_response()),
        Err(ServiceError::Validation(errors)) => {
            let book = ledger::ledger(&state.db, &staff.caller, id, now).await.or_page(t)?;
            page(
                &staff,
                &book,
                &book.programmes,
                &form,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => Err(PageError::new(t, e)),
    }
}

#[derive(Template)]
#[template(path = "admin_programmes.html")]
struct ProgrammesPage {
    c: Chrome,
    rows: Vec<(String, String, String)>,
    name: Field,
    name_en: Field,
}

/// The new programme's names.
#[derive(Debug, Default, Deserialize)]
pub struct ProgrammeForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    name_en: String,
}

async fn programmes_page(state: &AppState, staff: &Staff, form: &ProgrammeForm, errors: &FieldErrors) -> PageResult {
    let t = staff.t;
    let list = ledger::office_programmes(&state.db, &staff.caller, chrono::Utc::now())
        .await
        .or_page(t)?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(render(
        status,
        ProgrammesPage {
            c: Chrome::new(t, &staff.session, "programmes.title"),
            rows: list
                .into_iter()
                .map(|p| {
                    let whose = match p.subdistrict_id {
                        None => t.get("programmes.district_wide"),
                        Some(_) => t.get("programmes.own_subdistrict"),
                    };
                    (p.name.0, p.name.1, whose.to_owned())
                })
                .collect(),
            name: field(t, "name", &form.name, errors),
            name_en: field(t, "name_en", &form.name_en, errors),
        },
    ))
}

/// `GET /admin/programmes`: the office's list of relief programmes with a form to add one.
pub async fn programmes(State(state): State<AppState>, staff: Staff) -> PageResult {
    programmes_page(&state, &staff, &ProgrammeForm::default(), &FieldErrors::default()).await
}

/// `POST /admin/programmes`: adds a programme (both names required); 303 back to the list.
pub async fn add_programme(State(state): State<AppState>, staff: Staff, Form(form): Form<ProgrammeForm>) -> PageResult {
    let now = chrono::Utc::now();
    match ledger::add_programme(&state.db, &staff.caller, &form.name, &form.name_en, now).await {
        Ok(_) => Ok(Redirect::to("/admin/programmes").into_response()),
        Err(ServiceError::Validation(errors)) => programmes_page(&state, &staff, &form, &errors).await,
        Err(e) => Err(PageError::new(staff.t, e)),
    }
}
