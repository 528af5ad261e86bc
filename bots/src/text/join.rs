//! The texts of `/join`, a shop's application to become a caring merchant, in zh-CN and en.

use super::pick;
use crate::Locale;
use crate::desk::{ApplicationState, ApplicationView, CodeProblem, JoinDraft, PhoneProblem};
use crate::dialogue::JoinStep;

/// The first question, with what the application asks for.
pub fn ask_name(lang: Locale) -> String {
    pick(
        lang,
        "申请成为爱心商户。我会依次询问：店名、类别、所在社区、统一社会信用代码（或个体工商户注册号）、店铺联系电话、能提供什么。随时发送 /cancel 取消。\n\n第 1 步：请发送店名（对外公开显示的名称）。",
        "Applying to join as a caring merchant. I will ask, one at a time: the shop's name, category, community, unified social credit code (or individual business licence number), the shop's contact phone, and what it can offer. Send /cancel at any time to stop.\n\nStep 1: send the shop's name (as the public will see it).",
    )
}

/// The shop name was empty or too long.
pub fn name_invalid(lang: Locale, max: usize) -> String {
    match lang {
        Locale::ZhCn => format!("店名不能为空，且不超过 {max} 个字。请重新发送店名。"),
        Locale::En => {
            format!("The name must not be empty and at most {max} characters. Please send the shop's name again.")
        }
    }
}

/// Step 2: the category, as buttons.
pub fn ask_category(lang: Locale) -> String {
    pick(
        lang,
        "第 2 步：本店主要能提供哪一类帮助？请点选一个类别。",
        "Step 2: what kind of help does the shop mostly give? Tap a category.",
    )
}

/// Step 3: the community, as buttons.
pub fn ask_community(lang: Locale) -> String {
    pick(
        lang,
        "第 3 步：本店位于哪个社区？请点选。",
        "Step 3: which community is the shop in? Tap one.",
    )
}

/// Step 4: the credit code.
pub fn ask_code(lang: Locale) -> String {
    pick(
        lang,
        "第 4 步：请发送营业执照上的统一社会信用代码（18 位），个体工商户也可发送 15 位注册号。",
        "Step 4: send the unified social credit code on the business licence (18 characters); an individual business may send its 15-digit registration number instead.",
    )
}

/// A credit code that is not one, said in words, and asked again.
pub fn code_invalid(lang: Locale, problem: CodeProblem) -> String {
    let what = match (lang, problem) {
        (Locale::ZhCn, CodeProblem::Empty) => "没有收到代码。".to_owned(),
        (Locale::En, CodeProblem::Empty) => "No code came through.".to_owned(),
        (Locale::ZhCn, CodeProblem::Length(n)) => {
            format!("这个代码有 {n} 位；统一社会信用代码是 18 位，旧的个体工商户注册号是 15 位数字。")
        }
        (Locale::En, CodeProblem::Length(n)) => format!(
            "This code has {n} characters; a unified social credit code has 18, an old registration number 15 digits."
        ),
        (Locale::ZhCn, CodeProblem::Character { position, found }) => {
            format!("第 {position} 位的「{found}」不会出现在信用代码中（代码不使用 I、O、Z、S、V 和标点）。")
        }
        (Locale::En, CodeProblem::Character { position, found }) => format!(
            "Character {position} (“{found}”) never appears in a credit code (codes use no I, O, Z, S, V or punctuation)."
        ),
        (Locale::ZhCn, CodeProblem::Check) => "最后一位校验码与前面的字符对不上，可能有一位输错了。".to_owned(),
        (Locale::En, CodeProblem::Check) => {
            "The last (check) character does not match the others: a character was probably mistyped.".to_owned()
        }
    };
    let again = pick(
        lang,
        "请核对营业执照后重新发送。",
        "Please check the licence and send it again.",
    );
    format!("{what}\n{again}")
}

/// Step 5: the shop's phone.
pub fn ask_phone(lang: Locale) -> String {
    pick(
        lang,
        "第 5 步：请发送店铺的联系电话（手机或座机，例如 0755-25551234），供街道办核实。",
        "Step 5: send the shop's contact phone (mobile or landline, e.g. 0755-25551234), for the office to check.",
    )
}

/// A phone that is not a mainland one, and asked again.
pub fn phone_invalid(lang: Locale, problem: PhoneProblem) -> String {
    let what = match problem {
        PhoneProblem::Empty => pick(lang, "没有收到电话号码。", "No phone number came through."),
        PhoneProblem::Characters => pick(
            lang,
            "电话号码只能包含数字、空格、短横线和括号。",
            "A phone number may hold only digits, spaces, hyphens and brackets.",
        ),
        PhoneProblem::Shape => pick(
            lang,
            "这不像内地的手机号（1 开头 11 位）或座机号（区号 + 7 到 8 位）。",
            "This does not look like a mainland mobile (11 digits starting with 1) or landline (area code + 7 to 8 digits).",
        ),
    };
    let again = pick(lang, "请重新发送。", "Please send it again.");
    format!("{what}\n{again}")
}

/// Step 6: the offer.
pub fn ask_offer(lang: Locale, max: usize) -> String {
    match lang {
        Locale::ZhCn => format!("第 6 步：本店能提供什么？例如「每周 10 份盒饭」（不超过 {max} 字）。"),
        Locale::En => {
            format!("Step 6: what can the shop offer? For example “10 boxed meals a week” (at most {max} characters).")
        }
    }
}

/// The offer was empty or too long.
pub fn offer_invalid(lang: Locale, max: usize) -> String {
    match lang {
        Locale::ZhCn => format!("内容不能为空，且不超过 {max} 字。请重新发送。"),
        Locale::En => format!("It must not be empty and at most {max} characters. Please send it again."),
    }
}

/// The application as it stands, one line a field.
pub fn summary(lang: Locale, draft: &JoinDraft, category: &str, community: &str) -> String {
    match lang {
        Locale::ZhCn => format!(
            "店名：{}\n类别：{category}\n社区：{community}\n信用代码：{}\n联系电话：{}\n能提供：{}",
            draft.name, draft.credit_code, draft.phone, draft.offer
        ),
        Locale::En => format!(
            "Name: {}\nCategory: {category}\nCommunity: {community}\nCredit code: {}\nPhone: {}\nCan offer: {}",
            draft.name, draft.credit_code, draft.phone, draft.offer
        ),
    }
}

/// The question before submitting: who is told.
pub fn confirm(lang: Locale, summary: &str) -> String {
    match lang {
        Locale::ZhCn => {
            format!("请核对您的申请：\n\n{summary}\n\n提交后，所在街道办会收到并审核，结果会在这里通知您。提交吗？")
        }
        Locale::En => format!(
            "Please check your application:\n\n{summary}\n\nOnce submitted, the subdistrict office of your community receives and reviews it; you will hear the outcome here. Submit?"
        ),
    }
}

/// The submit button.
pub fn submit_button(lang: Locale) -> String {
    pick(lang, "提交申请", "Submit")
}

/// The button that asks one question of the application again.
pub fn edit_button(lang: Locale, step: JoinStep) -> String {
    let (zh, en) = match step {
        JoinStep::Name => ("改店名", "Edit name"),
        JoinStep::Category => ("改类别", "Edit category"),
        JoinStep::Community => ("改社区", "Edit community"),
        JoinStep::Code => ("改信用代码", "Edit credit code"),
        JoinStep::Phone => ("改电话", "Edit phone"),
        JoinStep::Offer | JoinStep::Confirm => ("改能提供什么", "Edit offer"),
    };
    pick(lang, zh, en)
}

/// The cancel button.
pub fn cancel_button(lang: Locale) -> String {
    pick(lang, "取消", "Cancel")
}

/// Submitted.
pub fn submitted(lang: Locale) -> String {
    pick(
        lang,
        "申请已提交，街道办审核后会在这里通知您。发送 /join 可随时查看进度。",
        "Submitted. The office will review it and tell you here. Send /join any time to see where it stands.",
    )
}

/// A button pressed where a typed answer was expected, or the reverse: ask the step again.
pub fn use_buttons(lang: Locale) -> String {
    pick(lang, "请点选下面的按钮。", "Please tap one of the buttons below.")
}

/// `/join` in a chat already linked to a merchant.
pub fn already_merchant(lang: Locale, shop: &str) -> String {
    match lang {
        Locale::ZhCn => format!("本聊天已绑定爱心商户「{shop}」，无需申请。发送 /help 查看命令。"),
        Locale::En => format!(
            "This chat is already linked to the caring merchant “{shop}”; no need to apply. Send /help for the commands."
        ),
    }
}

/// `/join` in the console, which is bound to a merchant already.
pub fn console(lang: Locale) -> String {
    pick(
        lang,
        "控制台已绑定商户，无需申请。",
        "The console is already bound to a merchant; there is nothing to apply for.",
    )
}

/// `/join` again while the application waits for the office.
pub fn waiting(lang: Locale, view: &ApplicationView) -> String {
    match lang {
        Locale::ZhCn => format!(
            "您为「{}」提交的申请正在等待街道办审核，结果会在这里通知您。",
            view.draft.name
        ),
        Locale::En => format!(
            "Your application for “{}” is waiting for the subdistrict office's review; you will hear the outcome here.",
            view.draft.name
        ),
    }
}

/// `/join` after the office asked for more: its message, then the questions again.
pub fn editing(lang: Locale, view: &ApplicationView) -> String {
    let message = view.reason.as_deref().unwrap_or_default();
    match lang {
        Locale::ZhCn => {
            format!(
                "街道办请您补充：{message}\n\n下面是您之前填写的申请：点“改……”按钮修改需要补充的项，改好后提交即可，其余内容不必重填。"
            )
        }
        Locale::En => format!(
            "The office asks for more: {message}\n\nHere is your application as you sent it: tap an \"Edit …\" button for what the office asked about, then submit; nothing else needs typing again."
        ),
    }
}

/// `/join` after a rejection: why, and that a new application starts.
pub fn after_rejection(lang: Locale, view: &ApplicationView) -> String {
    let reason = view.reason.as_deref().unwrap_or_default();
    match lang {
        Locale::ZhCn => format!("您上次的申请未通过，原因：{reason}\n如情况有变，可以重新申请。"),
        Locale::En => {
            format!("Your last application was not approved: {reason}\nIf things have changed, you may apply again.")
        }
    }
}

/// `/join` when the application is already waiting and the shop tries to submit again.
pub fn already_waiting(lang: Locale) -> String {
    pick(
        lang,
        "您已有一份申请正在等待审核，无需重复提交。发送 /join 查看进度。",
        "An application of yours is already waiting for review; there is no need to submit it twice. Send /join to see where it stands.",
    )
}

/// `/join` with a credit code a shop holds already: the office can relink that shop's new chat.
pub fn code_registered(lang: Locale) -> String {
    pick(
        lang,
        "这个统一社会信用代码（或执照号码）已登记给一家爱心商户，不能再次申请。如果是本店换了聊天账号，请联系街道办，索取绑定码后发送 /start 代码。",
        "This credit code (or licence number) is registered to a caring shop already, so it cannot apply again. If it is your shop on a new chat, ask the office for a link code and send /start CODE.",
    )
}

/// The outcome, told by the outbox: approved, and the chat is linked.
pub fn approved(lang: Locale, shop: &str) -> String {
    match lang {
        Locale::ZhCn => format!(
            "好消息！街道办已通过「{shop}」的爱心商户申请，本聊天已绑定本店。发送 /offers 登记本店的常设供给，社工才能在爱心资源库里找到本店；发送 /needs 查看待认领的需求，/help 查看全部命令。"
        ),
        Locale::En => format!(
            "Good news! The office approved “{shop}” as a caring merchant, and this chat is now linked to the shop. Send /offers to list what the shop can give regularly, so that social workers find it in the resource library; /needs to see open needs; /help for every command."
        ),
    }
}

/// The outcome, told by the outbox: the office asks for more.
pub fn more_info(lang: Locale, shop: &str, message: &str) -> String {
    match lang {
        Locale::ZhCn => format!("街道办审核「{shop}」的申请时需要您补充：{message}\n发送 /join 修改并重新提交。"),
        Locale::En => format!(
            "Reviewing the application of “{shop}”, the office asks for more: {message}\nSend /join to edit and submit it again."
        ),
    }
}

/// The outcome, told by the outbox: rejected, and why.
pub fn rejected(lang: Locale, shop: &str, reason: &str) -> String {
    match lang {
        Locale::ZhCn => format!(
            "很抱歉，街道办未通过「{shop}」的爱心商户申请。原因：{reason}\n如情况有变，可发送 /join 重新申请；有疑问请联系所在街道办。"
        ),
        Locale::En => format!(
            "Sorry, the office did not approve “{shop}” as a caring merchant. The reason: {reason}\nIf things change, send /join to apply again; for questions, contact your subdistrict office."
        ),
    }
}

/// Where an application stands, in a word (for the office's list the main crate has its own).
pub fn state_label(lang: Locale, state: ApplicationState) -> String {
    match state {
        ApplicationState::Submitted => pick(lang, "待审核", "waiting for review"),
        ApplicationState::MoreInfo => pick(lang, "待补充", "more information asked"),
        ApplicationState::Approved => pick(lang, "已通过", "approved"),
        ApplicationState::Rejected => pick(lang, "未通过", "not approved"),
    }
}
