//! Every API error as `application/problem+json` (RFC 9457), with stable `type` values and
//! a title and detail in the caller's language (Accept-Language: zh-CN or en).
//!
//! Errors are mapped here once. A handler returns [`ApiError`]; its response carries the
//! problem in both languages, and [`localize`] picks one per request.

use axum::extract::Request;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::Locale;
use crate::domain::input::FieldError;
use crate::services::ServiceError;

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// Stable identifier of the kind of problem, e.g. `not-enough-left`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary in the caller's language.
    pub title: String,
    /// HTTP status code.
    pub status: u16,
    /// What happened and what to do, in the caller's language.
    pub detail: String,
    /// Per-field errors of a `validation` problem.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    /// Units still unclaimed, for `not-enough-left`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub left: Option<i32>,
    /// The merchant's claim limit, for `claim-limit-reached`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// One field's error in a `validation` problem.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldProblem {
    /// The field's name, as in the request.
    pub field: String,
    /// A stable code such as `out-of-range` or `contains-personal-data`.
    pub code: String,
    /// What to fix, in the caller's language.
    pub message: String,
}

/// A failed API request; converts from service errors and extractor rejections.
#[derive(Debug)]
pub struct ApiError(pub ServiceError);

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        ApiError(e)
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        ApiError(ServiceError::invalid(
            "body",
            format!("the JSON body is not acceptable: {}", r.body_text()),
        ))
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError(ServiceError::invalid(
            "query",
            format!("the query string is not acceptable: {}", r.body_text()),
        ))
    }
}

impl From<PathRejection> for ApiError {
    fn from(_: PathRejection) -> Self {
        ApiError(ServiceError::NotFound("resource"))
    }
}

/// The problem in both languages, attached to the response until [`localize`] picks one.
#[derive(Clone)]
struct Bilingual {
    zh: Problem,
    en: Problem,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_of(&self.0);
        if status.is_server_error() {
            // Logged once, here at the boundary; the body stays generic.
            tracing::error!(error = %self.0, "API request failed");
        }
        let both = Bilingual {
            zh: problem(&self.0, status, Locale::ZhCn),
            en: problem(&self.0, status, Locale::En),
        };
        let mut response = render(&both.zh);
        response.extensions_mut().insert(both);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
        }
        response
    }
}

/// Middleware: renders a problem in the language the request asked for.
pub async fn localize(req: Request, next: Next) -> Response {
    let locale = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(Locale::negotiate)
        .unwrap_or_default();
    let mut response = next.run(req).await;
    if let Some(both) = response.extensions_mut().remove::<Bilingual>() {
        let chosen = if locale == Locale::En { &both.en } else { &both.zh };
        let mut localized = render(chosen);
        for (name, value) in response.headers() {
            if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
                localized.headers_mut().insert(name.clone(), value.clone());
            }
        }
        return localized;
    }
    response
}

fn render(p: &Problem) -> Response {
    let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(p).unwrap_or_default();
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    if status == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

fn status_of(e: &ServiceError) -> StatusCode {
    if e.is_unavailable() {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    match e {
        ServiceError::Invalid { .. }
        | ServiceError::Validation(_)
        | ServiceError::WrongHandoffCode
        | ServiceError::ReasonRequired
        | ServiceError::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
        ServiceError::NotFound(_) => StatusCode::NOT_FOUND,
        ServiceError::Forbidden | ServiceError::MerchantNotApproved | ServiceError::OrganizationSuspended => {
            StatusCode::FORBIDDEN
        }
        ServiceError::Conflict(_)
        | ServiceError::HandoffLocked
        | ServiceError::NotEnoughLeft { .. }
        | ServiceError::NeedNotOpen(_)
        | ServiceError::ClaimLimitReached { .. }
        | ServiceError::DeliverFirst
        | ServiceError::CreditBandLimit
        | ServiceError::Sponsorship(_)
        | ServiceError::Signup(_)
        | ServiceError::StaffCap(_)
        | ServiceError::IllegalTransition(_) => StatusCode::CONFLICT,
        ServiceError::Busy => StatusCode::SERVICE_UNAVAILABLE,
        ServiceError::Db(_) | ServiceError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The unauthenticated problem (no or unknown bearer token).
pub fn unauthorized() -> Response {
    let make = |locale| Problem {
        kind: "unauthorized".into(),
        title: text(locale, "需要身份验证", "Authentication required"),
        status: 401,
        detail: text(
            locale,
            "请在 Authorization 头中提供有效的 Bearer 令牌。",
            "Send a valid token as `Authorization: Bearer …`.",
        ),
        errors: Vec::new(),
        left: None,
        limit: None,
    };
    let both = Bilingual {
        zh: make(Locale::ZhCn),
        en: make(Locale::En),
    };
    let mut response = render(&both.zh);
    response.extensions_mut().insert(both);
    response
}

/// The rate-limit problem: 429 with `Retry-After`.
pub fn too_many_requests(retry_after_secs: u64) -> Response {
    let make = |locale| Problem {
        kind: "rate-limited".into(),
        title: text(locale, "请求过于频繁", "Too many requests"),
        status: 429,
        detail: text(
            locale,
            &format!("请 {retry_after_secs} 秒后再试。"),
            &format!("Try again in {retry_after_secs} seconds."),
        ),
        errors: Vec::new(),
        left: None,
        limit: None,
    };
    let both = Bilingual {
        zh: make(Locale::ZhCn),
        en: make(Locale::En),
    };
    let mut response = render(&both.zh);
    response.extensions_mut().insert(both);
    if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    response
}

fn text(locale: Locale, zh: &str, en: &str) -> String {
    match locale {
        Locale::ZhCn => zh.to_owned(),
        Locale::En => en.to_owned(),
    }
}

fn problem(e: &ServiceError, status: StatusCode, l: Locale) -> Problem {
    let mut p = Problem {
        kind: String::new(),
        title: String::new(),
        status: status.as_u16(),
        detail: String::new(),
        errors: Vec::new(),
        left: None,
        limit: None,
    };
    let (kind, title, detail) = match e {
        ServiceError::Validation(errors) => {
            p.errors = errors
                .0
                .iter()
                .map(|(field, fe)| FieldProblem {
                    field: (*field).to_owned(),
                    code: fe.code().to_owned(),
                    message: fe.message(l),
                })
                .collect();
            (
                "validation",
                text(l, "输入有误", "Invalid input"),
                text(
                    l,
                    "请按各字段的提示修改后重试。",
                    "Fix the fields listed in `errors` and try again.",
                ),
            )
        }
        ServiceError::Invalid { field, message } => {
            p.errors = vec![FieldProblem {
                field: (*field).to_owned(),
                code: "invalid".into(),
                message: message.clone(),
            }];
            ("validation", text(l, "输入有误", "Invalid input"), message.clone())
        }
        ServiceError::NotFound(what) => (
            "not-found",
            text(l, "未找到", "Not found"),
            text(
                l,
                &format!("没有这个记录（{what}），或您无权查看。"),
                &format!("No such {what}, or it is not yours to see."),
            ),
        ),
        ServiceError::Forbidden => (
            "forbidden",
            text(l, "无权操作", "Not allowed"),
            text(
                l,
                "您的账户类型不能执行此操作。",
                "Your kind of account cannot do this.",
            ),
        ),
        ServiceError::Conflict(message) => ("conflict", text(l, "状态冲突", "Conflict"), message.clone()),
        ServiceError::NotEnoughLeft { left } => {
            p.left = Some(*left);
            (
                "not-enough-left",
                text(l, "剩余数量不足", "Not enough left"),
                text(
                    l,
                    &format!("这项需求只剩 {left} 可认领。"),
                    &format!("Only {left} of this need is left to claim."),
                ),
            )
        }
        ServiceError::NeedNotOpen(status) => (
            "need-not-open",
            text(l, "需求不可认领", "Need not open"),
            text(
                l,
                &format!("这项需求当前状态为“{}”，不能认领。", status.label(Locale::ZhCn)),
                &format!(
                    "This need is {} and cannot be claimed.",
                    status.label(Locale::En).to_lowercase()
                ),
            ),
        ),
        ServiceError::ClaimLimitReached { limit } => {
            p.limit = Some(*limit);
            (
                "claim-limit-reached",
                text(l, "认领数已达上限", "Claim limit reached"),
                text(
                    l,
                    &format!("您同时最多可持有 {limit} 个进行中的认领，请先完成送达。"),
                    &format!("You may hold at most {limit} active claims; deliver one first."),
                ),
            )
        }
        ServiceError::Sponsorship(refusal) => (
            "sponsorship-refused",
            text(l, "不能一对一资助", "Sponsorship refused"),
            refusal.message(l).to_owned(),
        ),
        ServiceError::Signup(refusal) => (
            "signup-refused",
            text(l, "无法报名或取消", "Sign-up refused"),
            refusal.message(l).to_owned(),
        ),
        ServiceError::StaffCap(cap) => (
            "staff-cap",
            text(l, "员工报名已达上限", "Staff sign-up limit reached"),
            cap.to_string(),
        ),
        ServiceError::DeliverFirst => (
            "deliver-first",
            text(l, "请先完成送达", "Deliver first"),
            text(
                l,
                "您最近的认领连续逾期，请先完成一项送达再认领新的需求。",
                "Your last claims lapsed; deliver an active claim before claiming more.",
            ),
        ),
        ServiceError::CreditBandLimit => (
            "credit-band-limit",
            text(l, "信用等级 D：一次认领一项", "Credit band D: one claim at a time"),
            text(
                l,
                "您的信用等级目前为 D 级（待提升），同一时间只能持有 1 项进行中的认领。完成这一项后即可认领下一项；按时送达、获得好评会提升等级，升到 C 级后恢复通常的认领上限。",
                "Your credit is in band D for now, so you may hold one active claim at a time. Finish it and you can claim the next; delivering on time and good ratings raise your band, and from band C your usual claim limit applies again.",
            ),
        ),
        ServiceError::MerchantNotApproved => (
            "merchant-not-approved",
            text(l, "商户未获准入", "Merchant not approved"),
            text(
                l,
                "商户尚未通过街道办审核或已被暂停，暂不能认领。",
                "The merchant is pending or suspended and cannot claim now.",
            ),
        ),
        ServiceError::OrganizationSuspended => (
            "organization-suspended",
            text(l, "机构已被暂停", "Organization suspended"),
            text(
                l,
                "您所在的机构已被街道办暂停或尚未准入，其令牌暂不能使用，请联系街道办。",
                "Your organization is suspended or not admitted by the subdistrict office; its tokens do not work until it is reinstated. Contact the office.",
            ),
        ),
        ServiceError::IllegalTransition(t) => (
            "illegal-transition",
            text(l, "当前状态不允许此操作", "Not possible in this state"),
            text(l, &format!("当前状态（{}）不允许此操作。", t.from), &t.to_string()),
        ),
        ServiceError::WrongHandoffCode => (
            "wrong-handoff-code",
            text(l, "交接码不正确", "Wrong handoff code"),
            text(
                l,
                "输入的交接码与商户的不一致，请核对后重试。",
                "The handoff code does not match the merchant's; check it and try again.",
            ),
        ),
        ServiceError::ReasonRequired => {
            let message = text(
                l,
                "请写明送达有什么问题（例如少了什么、哪里不对），商户会看到这段说明，据此补救。",
                "Say what was wrong with the delivery (what was missing or not right); the merchant reads it to put things right.",
            );
            p.errors = vec![FieldProblem {
                field: "reason".into(),
                code: "reason-required".into(),
                message: message.clone(),
            }];
            (
                "reason-required",
                text(l, "需要填写异议原因", "A reason is required"),
                message,
            )
        }
        ServiceError::HandoffLocked => (
            "handoff-code-locked",
            text(l, "交接码输错次数过多", "Too many wrong handoff codes"),
            text(
                l,
                "此认领已输错 5 次交接码，不能再凭交接码确认。请联系街道办核实送达情况：街道办可以代为确认，或允许重新输入。",
                "Five wrong handoff codes were entered for this claim, so it can no longer be confirmed with a code. Ask the subdistrict office to check the delivery: the office can confirm it or allow new tries.",
            ),
        ),
        ServiceError::IdempotencyKeyReused => (
            "idempotency-key-reused",
            text(l, "幂等键被重复使用", "Idempotency key reused"),
            text(
                l,
                "这个 Idempotency-Key 已用于另一个请求，请换一个新的键。",
                "This Idempotency-Key was used for a different request; use a new key.",
            ),
        ),
        ServiceError::Busy => (
            "server-busy",
            text(l, "服务器繁忙", "Server busy"),
            text(
                l,
                "服务器正忙，什么都没有改变，请几秒后重试。",
                "The server is busy; nothing was changed. Try again in a few seconds.",
            ),
        ),
        // Not "nothing was changed": a commit whose answer was lost may have happened.
        ServiceError::Db(_) | ServiceError::Internal(_) if status == StatusCode::SERVICE_UNAVAILABLE => (
            "service-unavailable",
            text(l, "暂时不可用", "Temporarily unavailable"),
            text(
                l,
                "数据库暂时无法访问，请稍后重试；带同一 Idempotency-Key 的认领重试不会重复认领。",
                "The database cannot be reached right now; try again shortly. A claim retried with the same Idempotency-Key is never made twice.",
            ),
        ),
        ServiceError::Db(_) | ServiceError::Internal(_) => (
            "internal",
            text(l, "内部错误", "Internal error"),
            text(
                l,
                "出了点问题，什么都没有改变，请稍后重试。",
                "Something went wrong; nothing was changed. Try again later.",
            ),
        ),
    };
    p.kind = kind.to_owned();
    p.title = title;
    p.detail = detail;
    p
}

/// Builds a validation error for one field (used by handlers that parse numbers).
pub fn field_error(field: &'static str, error: FieldError) -> ApiError {
    let mut errors = crate::domain::input::FieldErrors::default();
    errors.push(field, error);
    ApiError(ServiceError::Validation(errors))
}
