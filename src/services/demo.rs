//! Demo data modelled on the seed article (爱心接力, Shatoujiao subdistrict, Yantian):
//! communities, a social work station and social organizations, ~30 caring merchants,
//! beneficiaries of each group, offers, needs and claims in every status, and the weeks
//! before: needs met for enough people, by shops that show themselves, and volunteers' hours,
//! that the public page shows figures and the charts have bars.
//!
//! Idempotent: the whole set is written in one transaction, and only when the demo office
//! account does not exist yet. The demo link code is derived from the secret key, so every
//! run prints the same code and adds no row once it exists.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use super::ServiceError;
use super::audit::{self, Actor, Entry};
use super::beneficiaries::{self, PrivateDetails};
use crate::config::Secret;
use crate::domain::codes::{UNAMBIGUOUS_ALPHABET, random_code};
use crate::domain::{
    BeneficiaryCode, BeneficiaryGroup, Category, ClaimStatus, NeedStatus, OrgKind, PartyStatus, Role, Urgency,
};
use crate::entities::{
    beneficiary, claim, community, drop_off_point, merchant, merchant_link_code, need, offer, offer_community,
    organization, staff, volunteer, volunteer_hour,
};
use crate::{crypto, db};

/// The password of every demo account; printed by `demo` so people can log in.
pub const DEMO_PASSWORD: &str = "relay-demo-2026";
const OFFICE_EMAIL: &str = "office@demo.charity-relay.org";
/// Why the social worker disputed the demo's one disputed delivery.
pub const DEMO_DISPUTE_REASON: &str = "送来的是薄被，老人需要的是厚棉被，请更换。";

/// What the demo loader did and what to tell the person running it.
#[derive(Debug, Clone)]
pub struct DemoSummary {
    /// False when the data was there already.
    pub created: bool,
    /// (email, role) of each demo login.
    pub logins: Vec<(String, String)>,
    /// The merchant the link code is for, and the code.
    pub link: (i64, String, String),
}

impl DemoSummary {
    /// The text printed by `demo` and `serve --demo`.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(if self.created {
            "demo data loaded\n"
        } else {
            "demo data already present; nothing added\n"
        });
        out.push_str(&format!("demo logins (password: {DEMO_PASSWORD}):\n"));
        for (email, role) in &self.logins {
            out.push_str(&format!("  {email}  ({role})\n"));
        }
        let (id, name, code) = &self.link;
        out.push_str(&format!(
            "merchant link code for #{id} {name} (send `/start {code}` to the bot):\n{code}\n"
        ));
        out
    }
}

struct Place {
    name: &'static str,
    name_en: &'static str,
    subdistrict: &'static str,
    subdistrict_en: &'static str,
}

const COMMUNITIES: &[Place] = &[
    Place {
        name: "田东社区",
        name_en: "Tiandong",
        subdistrict: "海山街道",
        subdistrict_en: "Haishan",
    },
    Place {
        name: "梧桐社区",
        name_en: "Wutong",
        subdistrict: "海山街道",
        subdistrict_en: "Haishan",
    },
    Place {
        name: "鹏湾社区",
        name_en: "Pengwan",
        subdistrict: "海山街道",
        subdistrict_en: "Haishan",
    },
    Place {
        name: "海涛社区",
        name_en: "Haitao",
        subdistrict: "海山街道",
        subdistrict_en: "Haishan",
    },
    Place {
        name: "中英街社区",
        name_en: "Zhongyingjie",
        subdistrict: "沙头角街道",
        subdistrict_en: "Shatoujiao",
    },
    Place {
        name: "东和社区",
        name_en: "Donghe",
        subdistrict: "沙头角街道",
        subdistrict_en: "Shatoujiao",
    },
    Place {
        name: "桥东社区",
        name_en: "Qiaodong",
        subdistrict: "沙头角街道",
        subdistrict_en: "Shatoujiao",
    },
    Place {
        name: "田心社区",
        name_en: "Tianxin",
        subdistrict: "沙头角街道",
        subdistrict_en: "Shatoujiao",
    },
    Place {
        name: "盐田社区",
        name_en: "Yantian",
        subdistrict: "盐田街道",
        subdistrict_en: "Yantian",
    },
    Place {
        name: "永安社区",
        name_en: "Yong'an",
        subdistrict: "盐田街道",
        subdistrict_en: "Yantian",
    },
];

/// (name, kind, home community index, drop-off address, demo social worker email)
const ORGANIZATIONS: &[(&str, OrgKind, usize, &str, &str)] = &[
    (
        "沙头角街道社工站",
        OrgKind::SocialWorkStation,
        5,
        "沙头角街道沙深路东和社区党群服务中心一楼",
        "station@demo.charity-relay.org",
    ),
    (
        "盐田区妇女互助会",
        OrgKind::SocialOrganization,
        4,
        "中英街社区妇女之家",
        "women@demo.charity-relay.org",
    ),
    (
        "海山长者关爱协会",
        OrgKind::SocialOrganization,
        0,
        "田东社区长者服务中心",
        "elders@demo.charity-relay.org",
    ),
    (
        "沙头角爱心义工队",
        OrgKind::VolunteerTeam,
        6,
        "桥东社区义工服务站",
        "volunteers@demo.charity-relay.org",
    ),
];

/// (name, trade, community index, offered categories, status)
const MERCHANTS: &[(&str, &str, usize, &[Category], PartyStatus)] = &[
    ("健民大药房", "药店", 5, &[Category::Medicine], PartyStatus::Approved),
    ("阿明理发店", "理发", 4, &[Category::Service], PartyStatus::Approved),
    (
        "万家福超市",
        "超市",
        6,
        &[Category::Food, Category::DailyGoods],
        PartyStatus::Approved,
    ),
    ("海港茶餐厅", "餐饮", 4, &[Category::Food], PartyStatus::Approved),
    ("启航培训学校", "培训", 7, &[Category::Tutoring], PartyStatus::Approved),
    (
        "便民家电维修部",
        "家电维修",
        5,
        &[Category::Service],
        PartyStatus::Approved,
    ),
    (
        "洁净家政服务",
        "家政保洁",
        0,
        &[Category::Service],
        PartyStatus::Approved,
    ),
    ("老街面包房", "面包烘焙", 4, &[Category::Food], PartyStatus::Approved),
    ("鲜果园水果店", "果蔬", 1, &[Category::Food], PartyStatus::Approved),
    (
        "好邻居便利店",
        "便利店",
        2,
        &[Category::DailyGoods, Category::Food],
        PartyStatus::Approved,
    ),
    ("福满楼酒家", "餐饮", 8, &[Category::Food], PartyStatus::Approved),
    ("中英街眼镜店", "眼镜", 4, &[Category::Service], PartyStatus::Approved),
    ("盐田海鲜排档", "餐饮", 8, &[Category::Food], PartyStatus::Approved),
    (
        "晨光文具店",
        "文具",
        6,
        &[Category::DailyGoods, Category::Tutoring],
        PartyStatus::Approved,
    ),
    (
        "小太阳托管中心",
        "课后托管",
        3,
        &[Category::Tutoring],
        PartyStatus::Approved,
    ),
    ("康乐推拿馆", "推拿", 0, &[Category::Service], PartyStatus::Approved),
    (
        "幸福洗衣店",
        "洗衣",
        5,
        &[Category::Service, Category::Clothing],
        PartyStatus::Approved,
    ),
    ("快乐童装店", "童装", 7, &[Category::Clothing], PartyStatus::Approved),
    ("平安电器行", "电器", 9, &[Category::DailyGoods], PartyStatus::Approved),
    ("金海湾粮油店", "粮油", 1, &[Category::Food], PartyStatus::Approved),
    ("大鹏书店", "书店", 2, &[Category::Tutoring], PartyStatus::Approved),
    (
        "仁心牙科诊所",
        "牙科",
        4,
        &[Category::Medicine, Category::Service],
        PartyStatus::Approved,
    ),
    ("阳光摄影馆", "摄影", 3, &[Category::Service], PartyStatus::Approved),
    (
        "青春健身房",
        "健身",
        9,
        &[Category::VolunteerHours],
        PartyStatus::Approved,
    ),
    ("梧桐山茶庄", "茶庄", 1, &[Category::Funds], PartyStatus::Approved),
    (
        "海涛五金店",
        "五金",
        3,
        &[Category::Service, Category::DailyGoods],
        PartyStatus::Approved,
    ),
    (
        "鹏湾花店",
        "花店",
        2,
        &[Category::VolunteerHours],
        PartyStatus::Approved,
    ),
    ("田东米粉店", "米粉面食", 0, &[Category::Food], PartyStatus::Approved),
    (
        "盐田港物流服务部",
        "物流",
        8,
        &[Category::VolunteerHours, Category::Funds],
        PartyStatus::Pending,
    ),
    (
        "东和旧货回收站",
        "旧货回收",
        5,
        &[Category::Clothing],
        PartyStatus::Suspended,
    ),
];

/// (organization index, community index, group, fictional private details)
const BENEFICIARIES: &[(usize, usize, BeneficiaryGroup, &str, &str, &str)] = &[
    (
        0,
        5,
        BeneficiaryGroup::ElderlyAlone,
        "陈阿婆",
        "13800000001",
        "东和社区某栋",
    ),
    (
        0,
        6,
        BeneficiaryGroup::Disabled,
        "李先生",
        "13800000002",
        "桥东社区某栋",
    ),
    (
        1,
        4,
        BeneficiaryGroup::LowIncomeFamily,
        "王女士",
        "13800000003",
        "中英街社区某栋",
    ),
    (
        1,
        7,
        BeneficiaryGroup::ChildInHardship,
        "小林",
        "13800000004",
        "田心社区某栋",
    ),
    (
        2,
        0,
        BeneficiaryGroup::ElderlyAlone,
        "张伯",
        "13800000005",
        "田东社区某栋",
    ),
    (
        2,
        1,
        BeneficiaryGroup::ElderlyAlone,
        "黄奶奶",
        "13800000006",
        "梧桐社区某栋",
    ),
    (
        0,
        8,
        BeneficiaryGroup::MigrantChild,
        "小周",
        "13800000007",
        "盐田社区某栋",
    ),
    (3, 6, BeneficiaryGroup::Other, "赵先生", "13800000008", "桥东社区某栋"),
    (
        0,
        5,
        BeneficiaryGroup::ElderlyAlone,
        "刘阿婆",
        "13800000009",
        "东和社区某栋",
    ),
    (
        0,
        5,
        BeneficiaryGroup::ElderlyAlone,
        "吴伯",
        "13800000010",
        "东和社区某栋",
    ),
    (
        0,
        5,
        BeneficiaryGroup::ElderlyAlone,
        "郑奶奶",
        "13800000011",
        "东和社区某栋",
    ),
    (
        0,
        5,
        BeneficiaryGroup::ElderlyAlone,
        "孙爷爷",
        "13800000012",
        "东和社区某栋",
    ),
    (
        1,
        4,
        BeneficiaryGroup::LowIncomeFamily,
        "何阿姨",
        "13800000013",
        "中英街社区某栋",
    ),
    (
        1,
        4,
        BeneficiaryGroup::LowIncomeFamily,
        "罗先生",
        "13800000014",
        "中英街社区某栋",
    ),
    (
        1,
        4,
        BeneficiaryGroup::LowIncomeFamily,
        "马女士",
        "13800000015",
        "中英街社区某栋",
    ),
    (
        1,
        4,
        BeneficiaryGroup::LowIncomeFamily,
        "邓女士",
        "13800000016",
        "中英街社区某栋",
    ),
];

/// A need of the past weeks that one shop met in full and the social worker confirmed.
struct MetSpec {
    beneficiary: usize,
    category: Category,
    title: &'static str,
    description: &'static str,
    quantity: i32,
    unit: &'static str,
    value_cents: i64,
    /// When it was posted.
    weeks_ago: i64,
    /// The shop (index into [`MERCHANTS`]) that delivered it.
    merchant: usize,
}

/// The weeks before today: enough needs met, for enough people, by shops that show themselves,
/// that the public page has figures above its threshold and the weekly charts have bars.
const MET: &[MetSpec] = &[
    MetSpec {
        beneficiary: 2,
        category: Category::Food,
        title: "大米和食用油",
        description: "低收入家庭一个月的大米和食用油。",
        quantity: 2,
        unit: "袋",
        value_cents: 16000,
        weeks_ago: 10,
        merchant: 19,
    },
    MetSpec {
        beneficiary: 12,
        category: Category::Food,
        title: "大米和食用油",
        description: "一家三口一个月的大米和食用油。",
        quantity: 2,
        unit: "袋",
        value_cents: 16000,
        weeks_ago: 9,
        merchant: 19,
    },
    MetSpec {
        beneficiary: 13,
        category: Category::Food,
        title: "大米",
        description: "一家四口一个月的大米。",
        quantity: 3,
        unit: "袋",
        value_cents: 18000,
        weeks_ago: 8,
        merchant: 19,
    },
    MetSpec {
        beneficiary: 14,
        category: Category::Food,
        title: "食用油",
        description: "家中食用油用完了，需要两桶。",
        quantity: 2,
        unit: "桶",
        value_cents: 12000,
        weeks_ago: 6,
        merchant: 19,
    },
    MetSpec {
        beneficiary: 15,
        category: Category::Food,
        title: "大米和食用油",
        description: "单亲家庭一个月的大米和食用油。",
        quantity: 2,
        unit: "袋",
        value_cents: 16000,
        weeks_ago: 4,
        merchant: 19,
    },
    MetSpec {
        beneficiary: 8,
        category: Category::Food,
        title: "面条和鸡蛋",
        description: "独居老人一周的面条和鸡蛋。",
        quantity: 1,
        unit: "份",
        value_cents: 6000,
        weeks_ago: 2,
        merchant: 19,
    },
    MetSpec {
        beneficiary: 0,
        category: Category::DailyGoods,
        title: "洗衣液和纸巾",
        description: "独居老人的日常用品。",
        quantity: 1,
        unit: "套",
        value_cents: 8000,
        weeks_ago: 10,
        merchant: 9,
    },
    MetSpec {
        beneficiary: 8,
        category: Category::DailyGoods,
        title: "保温水壶",
        description: "老人需要一个保温水壶。",
        quantity: 1,
        unit: "个",
        value_cents: 9000,
        weeks_ago: 7,
        merchant: 9,
    },
    MetSpec {
        beneficiary: 9,
        category: Category::DailyGoods,
        title: "防滑棉拖鞋",
        description: "老人在家怕滑倒，需要一双防滑棉拖鞋。",
        quantity: 1,
        unit: "双",
        value_cents: 5000,
        weeks_ago: 5,
        merchant: 9,
    },
    MetSpec {
        beneficiary: 10,
        category: Category::DailyGoods,
        title: "电暖器",
        description: "冬季取暖需要一台电暖器。",
        quantity: 1,
        unit: "台",
        value_cents: 30000,
        weeks_ago: 3,
        merchant: 9,
    },
    MetSpec {
        beneficiary: 11,
        category: Category::DailyGoods,
        title: "毛巾和香皂",
        description: "老人的洗漱用品。",
        quantity: 1,
        unit: "套",
        value_cents: 5000,
        weeks_ago: 1,
        merchant: 9,
    },
    MetSpec {
        beneficiary: 0,
        category: Category::Medicine,
        title: "感冒药",
        description: "老人感冒，需要常用感冒药。",
        quantity: 1,
        unit: "盒",
        value_cents: 4000,
        weeks_ago: 9,
        merchant: 0,
    },
    MetSpec {
        beneficiary: 9,
        category: Category::Medicine,
        title: "降压药",
        description: "长期服用的降压药，一个月的用量。",
        quantity: 1,
        unit: "份",
        value_cents: 12000,
        weeks_ago: 8,
        merchant: 0,
    },
    MetSpec {
        beneficiary: 10,
        category: Category::Medicine,
        title: "膏药",
        description: "腰腿疼痛，需要两盒膏药。",
        quantity: 2,
        unit: "盒",
        value_cents: 6000,
        weeks_ago: 6,
        merchant: 0,
    },
    MetSpec {
        beneficiary: 11,
        category: Category::Medicine,
        title: "降糖药",
        description: "糖尿病老人一个月的降糖药。",
        quantity: 1,
        unit: "份",
        value_cents: 15000,
        weeks_ago: 4,
        merchant: 0,
    },
    MetSpec {
        beneficiary: 12,
        category: Category::Medicine,
        title: "儿童退烧药",
        description: "孩子发烧，需要一盒退烧药。",
        quantity: 1,
        unit: "盒",
        value_cents: 3000,
        weeks_ago: 2,
        merchant: 0,
    },
    MetSpec {
        beneficiary: 4,
        category: Category::Food,
        title: "营养午餐",
        description: "独居长者五天的午餐，送到服务中心。",
        quantity: 5,
        unit: "份",
        value_cents: 12500,
        weeks_ago: 7,
        merchant: 3,
    },
    MetSpec {
        beneficiary: 5,
        category: Category::Food,
        title: "营养早餐",
        description: "老人五天的早餐。",
        quantity: 5,
        unit: "份",
        value_cents: 7500,
        weeks_ago: 5,
        merchant: 3,
    },
    MetSpec {
        beneficiary: 1,
        category: Category::Service,
        title: "家居清洁",
        description: "行动不便，需要一次家居清洁。",
        quantity: 1,
        unit: "次",
        value_cents: 15000,
        weeks_ago: 6,
        merchant: 6,
    },
    MetSpec {
        beneficiary: 3,
        category: Category::Tutoring,
        title: "英语课业辅导",
        description: "期末考试前的英语辅导，在社区活动室进行。",
        quantity: 4,
        unit: "课时",
        value_cents: 40000,
        weeks_ago: 3,
        merchant: 4,
    },
];

/// Volunteers who served and whose hours were confirmed: (name, activity, hours in tenths, days ago).
const VOLUNTEERS: &[(&str, &str, i32, i64)] = &[
    ("陈姐（义工）", "助老送餐", 40, 30),
    ("刘老师（义工）", "课业辅导", 60, 24),
    ("林同学（义工）", "社区清洁", 30, 17),
    ("黄阿姨（义工）", "陪同就医", 45, 12),
    ("周师傅（义工）", "上门维修", 20, 6),
];

/// How a demo need ends up: its final status and its claims (merchant index, quantity, status).
struct NeedSpec {
    beneficiary: usize,
    category: Category,
    title: &'static str,
    description: &'static str,
    quantity: i32,
    unit: &'static str,
    urgency: Urgency,
    deadline_days: i64,
    value_cents: Option<i64>,
    ended: Option<NeedStatus>,
    claims: &'static [(usize, i32, ClaimStatus)],
}

const NEEDS: &[NeedSpec] = &[
    NeedSpec {
        beneficiary: 0,
        category: Category::Medicine,
        title: "降压药一个月用量",
        description: "独居老人长期服用降压药，需要一个月的用量，社工陪同取药。",
        quantity: 1,
        unit: "份",
        urgency: Urgency::Urgent,
        deadline_days: 5,
        value_cents: Some(12000),
        ended: None,
        claims: &[],
    },
    NeedSpec {
        beneficiary: 0,
        category: Category::Service,
        title: "上门理发",
        description: "老人行动不便，希望每月上门理发一次。",
        quantity: 1,
        unit: "次",
        urgency: Urgency::Normal,
        deadline_days: 20,
        value_cents: Some(3000),
        ended: None,
        claims: &[(1, 1, ClaimStatus::Active)],
    },
    NeedSpec {
        beneficiary: 2,
        category: Category::Food,
        title: "米和食用油",
        description: "低收入家庭本月需要大米和食用油。",
        quantity: 10,
        unit: "袋",
        urgency: Urgency::Normal,
        deadline_days: 14,
        value_cents: Some(50000),
        ended: None,
        claims: &[(2, 4, ClaimStatus::Active), (19, 3, ClaimStatus::Delivered)],
    },
    NeedSpec {
        beneficiary: 3,
        category: Category::Tutoring,
        title: "初二数学课业辅导",
        description: "困境儿童需要每周两次数学辅导，在社区活动室进行。",
        quantity: 8,
        unit: "课时",
        urgency: Urgency::Normal,
        deadline_days: 30,
        value_cents: Some(80000),
        ended: None,
        claims: &[(4, 8, ClaimStatus::Active)],
    },
    NeedSpec {
        beneficiary: 4,
        category: Category::Food,
        title: "每日午餐送餐",
        description: "独居长者需要一周的午餐，由商户送到服务中心。",
        quantity: 7,
        unit: "份",
        urgency: Urgency::Urgent,
        deadline_days: 7,
        value_cents: Some(17500),
        ended: None,
        claims: &[(3, 7, ClaimStatus::Confirmed)],
    },
    NeedSpec {
        beneficiary: 5,
        category: Category::DailyGoods,
        title: "冬季棉被",
        description: "老人家中棉被破旧，需要一床厚棉被。",
        quantity: 1,
        unit: "床",
        urgency: Urgency::Normal,
        deadline_days: 10,
        value_cents: Some(20000),
        ended: None,
        claims: &[(9, 1, ClaimStatus::Disputed)],
    },
    NeedSpec {
        beneficiary: 1,
        category: Category::Service,
        title: "轮椅维修",
        description: "轮椅刹车失灵，需要维修。",
        quantity: 1,
        unit: "次",
        urgency: Urgency::Urgent,
        deadline_days: 3,
        value_cents: Some(5000),
        ended: None,
        claims: &[(5, 1, ClaimStatus::Released)],
    },
    NeedSpec {
        beneficiary: 6,
        category: Category::Clothing,
        title: "校服两套",
        description: "孩子升学需要两套校服。",
        quantity: 2,
        unit: "套",
        urgency: Urgency::Normal,
        deadline_days: 12,
        value_cents: Some(24000),
        ended: None,
        claims: &[(17, 2, ClaimStatus::Lapsed)],
    },
    NeedSpec {
        beneficiary: 2,
        category: Category::Funds,
        title: "子女学杂费资助",
        description: "家庭困难，需要资助本学期部分学杂费。",
        quantity: 1000,
        unit: "元",
        urgency: Urgency::Normal,
        deadline_days: 25,
        value_cents: Some(100000),
        ended: None,
        claims: &[(24, 300, ClaimStatus::Active)],
    },
    NeedSpec {
        beneficiary: 7,
        category: Category::VolunteerHours,
        title: "陪同就医志愿服务",
        description: "需要志愿者每周陪同复诊，共计六小时。",
        quantity: 6,
        unit: "小时",
        urgency: Urgency::Normal,
        deadline_days: 21,
        value_cents: None,
        ended: None,
        claims: &[(23, 2, ClaimStatus::Confirmed)],
    },
    NeedSpec {
        beneficiary: 4,
        category: Category::Service,
        title: "家居清洁",
        description: "长者家中需要一次全面清洁。",
        quantity: 1,
        unit: "次",
        urgency: Urgency::Normal,
        deadline_days: -3,
        value_cents: Some(15000),
        ended: Some(NeedStatus::Expired),
        claims: &[],
    },
    NeedSpec {
        beneficiary: 3,
        category: Category::DailyGoods,
        title: "书包和文具",
        description: "开学需要书包和一套文具。",
        quantity: 1,
        unit: "套",
        urgency: Urgency::Normal,
        deadline_days: 9,
        value_cents: Some(15000),
        ended: Some(NeedStatus::Cancelled),
        claims: &[(13, 1, ClaimStatus::Released)],
    },
    NeedSpec {
        beneficiary: 5,
        category: Category::Medicine,
        title: "血糖试纸",
        description: "糖尿病老人需要血糖试纸两盒。",
        quantity: 2,
        unit: "盒",
        urgency: Urgency::Urgent,
        deadline_days: 4,
        value_cents: Some(16000),
        ended: None,
        claims: &[(0, 2, ClaimStatus::Confirmed)],
    },
    NeedSpec {
        beneficiary: 6,
        category: Category::Food,
        title: "牛奶一箱",
        description: "孩子营养需要，每周一箱牛奶。",
        quantity: 4,
        unit: "箱",
        urgency: Urgency::Normal,
        deadline_days: 28,
        value_cents: Some(24000),
        ended: None,
        claims: &[],
    },
];

/// Loads the demo data unless it is there already, and says what to print.
pub async fn load(db: &DatabaseConnection, secret: &Secret, now: DateTime<Utc>) -> Result<DemoSummary, ServiceError> {
    let txn = db::begin_write(db).await?;
    let exists = staff::Entity::find()
        .filter(staff::Column::Email.eq(OFFICE_EMAIL))
        .one(&txn)
        .await?
        .is_some();
    if !exists {
        seed(&txn, secret, now).await?;
    }
    let link_merchant = merchant::Entity::find()
        .filter(merchant::Column::Name.eq(MERCHANTS[0].0))
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound("demo merchant"))?;
    let code = ensure_demo_link_code(&txn, secret, link_merchant.id, now).await?;
    txn.commit().await?;

    let mut logins = vec![(OFFICE_EMAIL.to_owned(), Role::Admin.as_str().to_owned())];
    logins.extend(
        ORGANIZATIONS
            .iter()
            .map(|o| (o.4.to_owned(), format!("{} — {}", Role::SocialWorker.as_str(), o.0))),
    );
    Ok(DemoSummary {
        created: !exists,
        logins,
        link: (link_merchant.id, link_merchant.name, code),
    })
}

async fn seed<C: ConnectionTrait>(txn: &C, secret: &Secret, now: DateTime<Utc>) -> Result<(), ServiceError> {
    // One hash for every demo account: argon2 is slow on purpose.
    let password_hash = crypto::hash_password(DEMO_PASSWORD).map_err(|e| ServiceError::Internal(e.to_string()))?;
    let today = now.date_naive();

    let mut community_ids = Vec::new();
    for place in COMMUNITIES {
        let row = community::ActiveModel {
            name: Set(place.name.into()),
            name_en: Set(place.name_en.into()),
            subdistrict: Set(place.subdistrict.into()),
            subdistrict_en: Set(place.subdistrict_en.into()),
            ..Default::default()
        };
        community_ids.push(insert_or_find_community(txn, row, place.name).await?);
    }

    insert_staff(
        txn,
        OFFICE_EMAIL,
        "街道办 王主任",
        Role::Admin,
        None,
        &password_hash,
        now,
    )
    .await?;

    let mut orgs = Vec::new();
    for (name, kind, home, address, worker_email) in ORGANIZATIONS {
        let org = organization::ActiveModel {
            name: Set((*name).into()),
            kind: Set(kind.as_str().into()),
            status: Set(PartyStatus::Approved),
            community_id: Set(Some(community_ids[*home])),
            created_at: Set(now - Duration::days(90)),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        let point = drop_off_point::ActiveModel {
            organization_id: Set(org.id),
            community_id: Set(Some(community_ids[*home])),
            name: Set(format!("{name}服务点")),
            address: Set((*address).into()),
            opening_hours: Set("周一至周六 9:00–18:00".into()),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        let worker = insert_staff(
            txn,
            worker_email,
            &format!("{name} 社工"),
            Role::SocialWorker,
            Some(org.id),
            &password_hash,
            now,
        )
        .await?;
        orgs.push((org.id, point.id, worker));
    }

    let mut merchant_ids = Vec::new();
    for (i, (name, trade, home, categories, status)) in MERCHANTS.iter().enumerate() {
        let row = merchant::ActiveModel {
            name: Set((*name).into()),
            trade: Set((*trade).into()),
            community_id: Set(Some(community_ids[*home])),
            address: Set(format!("{}商业街{}号", COMMUNITIES[*home].name, 10 + i)),
            opening_hours: Set(Some("9:00–21:00".into())),
            status: Set(*status),
            telegram_chat_id: Set(None),
            locale: Set(if i % 5 == 4 { "en" } else { "zh-CN" }.into()),
            show_publicly: Set(i % 3 != 2),
            credit_score: Set(55 + (i as i32 * 7) % 40),
            created_at: Set(now - Duration::days(60 - i as i64)),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        for category in categories.iter() {
            let offer = offer::ActiveModel {
                merchant_id: Set(row.id),
                category: Set(category.as_str().into()),
                description: Set(format!("{name}：{}", category.label(crate::domain::Locale::ZhCn))),
                monthly_capacity: Set(4 + (i as i32 % 6)),
                status: Set(if i % 11 == 10 { "paused" } else { "active" }.into()),
                created_at: Set(now - Duration::days(30)),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(txn)
            .await?;
            for served in [*home, (*home + 1) % COMMUNITIES.len()] {
                offer_community::ActiveModel {
                    offer_id: Set(offer.id),
                    community_id: Set(community_ids[served]),
                }
                .insert(txn)
                .await?;
            }
        }
        merchant_ids.push(row.id);
    }

    let mut beneficiary_ids = Vec::new();
    for (org, home, group, name, phone, address) in BENEFICIARIES {
        let row = beneficiary::ActiveModel {
            code: Set(BeneficiaryCode::generate(4).as_str().into()),
            organization_id: Set(orgs[*org].0),
            community_id: Set(community_ids[*home]),
            beneficiary_group: Set(group.as_str().into()),
            contact_id: Set(None),
            created_by: Set(Some(orgs[*org].2)),
            created_at: Set(now - Duration::days(45)),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        let details = PrivateDetails {
            full_name: (*name).into(),
            phone: (*phone).into(),
            address: (*address).into(),
            notes: "演示数据".into(),
            id_number: String::new(),
        };
        beneficiaries::store_private(txn, secret, row.id, &details, now).await?;
        beneficiary_ids.push((row.id, *org, *home));
    }

    for (n, spec) in NEEDS.iter().enumerate() {
        let (beneficiary_id, org, home) = beneficiary_ids[spec.beneficiary];
        let (org_id, point_id, worker_id) = orgs[org];
        let created_at = now - Duration::days(14 - n as i64 % 10);
        let live: i32 = spec.claims.iter().filter(|c| c.2.is_live()).map(|c| c.1).sum();
        let confirmed: i32 = spec
            .claims
            .iter()
            .filter(|c| c.2 == ClaimStatus::Confirmed)
            .map(|c| c.1)
            .sum();
        let status = spec.ended.unwrap_or(if confirmed == spec.quantity {
            NeedStatus::Fulfilled
        } else if live == spec.quantity {
            NeedStatus::FullyClaimed
        } else {
            NeedStatus::Open
        });
        let row = need::ActiveModel {
            organization_id: Set(org_id),
            beneficiary_id: Set(beneficiary_id),
            community_id: Set(community_ids[home]),
            drop_off_point_id: Set(Some(point_id)),
            posted_by: Set(Some(worker_id)),
            category: Set(spec.category.as_str().into()),
            title: Set(spec.title.into()),
            description: Set(spec.description.into()),
            quantity: Set(spec.quantity),
            unit: Set(spec.unit.into()),
            claimed: Set(live),
            delivered: Set(confirmed),
            urgency: Set(spec.urgency.as_str().into()),
            deadline: Set(today + Duration::days(spec.deadline_days)),
            recurrence: Set("none".into()),
            estimated_value_cents: Set(spec.value_cents),
            claim_days: Set(7),
            status: Set(status),
            version: Set(spec.claims.len() as i32),
            created_at: Set(created_at),
            updated_at: Set(now),
            reopened_at: Set(None),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        for (k, (merchant, quantity, claim_status)) in spec.claims.iter().enumerate() {
            let made = created_at + Duration::hours(6 + k as i64);
            let (due, ended) = match claim_status {
                ClaimStatus::Lapsed => (made - Duration::days(10), Some(now - Duration::days(1))),
                ClaimStatus::Released => (made + Duration::days(7), Some(made + Duration::days(1))),
                _ => (made + Duration::days(7), None),
            };
            let delivered = matches!(
                claim_status,
                ClaimStatus::Delivered | ClaimStatus::Confirmed | ClaimStatus::Disputed
            )
            .then(|| made + Duration::days(2));
            claim::ActiveModel {
                need_id: Set(row.id),
                merchant_id: Set(merchant_ids[*merchant]),
                quantity: Set(*quantity),
                status: Set(*claim_status),
                handoff_code: Set(random_code(6)),
                idempotency_key: Set(None),
                due_at: Set(due),
                remind_at: Set(made + Duration::days(3)),
                reminded_at: Set(None),
                delivered_at: Set(delivered),
                confirmed_at: Set((*claim_status == ClaimStatus::Confirmed).then(|| made + Duration::days(3))),
                ended_at: Set(ended),
                rating: Set((*claim_status == ClaimStatus::Confirmed).then_some(5)),
                // A dispute always comes with the worker's reason (the need page, the bot
                // and the dashboard show it); the demo's one too.
                dispute_reason: Set((*claim_status == ClaimStatus::Disputed).then(|| DEMO_DISPUTE_REASON.to_owned())),
                version: Set(0),
                created_at: Set(made),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(txn)
            .await?;
        }
    }

    // 受助者助人: a volunteer who was once helped, with confirmed hours.
    let (former_id, org, _) = beneficiary_ids[7];
    let (org_id, _, worker_id) = orgs[org];
    let helper = volunteer::ActiveModel {
        organization_id: Set(org_id),
        display_name: Set("赵先生（义工）".into()),
        contact_id: Set(None),
        former_beneficiary_id: Set(Some(former_id)),
        created_at: Set(now - Duration::days(20)),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    for (days_ago, tenths, status) in [(10, 25, "confirmed"), (3, 30, "logged")] {
        volunteer_hour::ActiveModel {
            volunteer_id: Set(helper.id),
            need_id: Set(None),
            activity: Set("社区长者探访".into()),
            tenths: Set(tenths),
            served_on: Set(today - Duration::days(days_ago)),
            status: Set(status.into()),
            logged_by: Set(worker_id),
            confirmed_by: Set((status == "confirmed").then_some(worker_id)),
            confirmed_at: Set((status == "confirmed").then(|| now - Duration::days(days_ago - 1))),
            created_at: Set(now - Duration::days(days_ago)),
            ..Default::default()
        }
        .insert(txn)
        .await?;
    }

    for spec in MET {
        let (beneficiary_id, org, home) = beneficiary_ids[spec.beneficiary];
        let (org_id, point_id, worker_id) = orgs[org];
        let posted = now - Duration::days(spec.weeks_ago * 7 + 2);
        let row = need::ActiveModel {
            organization_id: Set(org_id),
            beneficiary_id: Set(beneficiary_id),
            community_id: Set(community_ids[home]),
            drop_off_point_id: Set(Some(point_id)),
            posted_by: Set(Some(worker_id)),
            category: Set(spec.category.as_str().into()),
            title: Set(spec.title.into()),
            description: Set(spec.description.into()),
            quantity: Set(spec.quantity),
            unit: Set(spec.unit.into()),
            claimed: Set(spec.quantity),
            delivered: Set(spec.quantity),
            urgency: Set(Urgency::Normal.as_str().into()),
            deadline: Set(posted.date_naive() + Duration::days(14)),
            recurrence: Set("none".into()),
            estimated_value_cents: Set(Some(spec.value_cents)),
            claim_days: Set(7),
            status: Set(NeedStatus::Fulfilled),
            version: Set(1),
            created_at: Set(posted),
            updated_at: Set(posted + Duration::days(3)),
            reopened_at: Set(None),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        let made = posted + Duration::hours(5);
        claim::ActiveModel {
            need_id: Set(row.id),
            merchant_id: Set(merchant_ids[spec.merchant]),
            quantity: Set(spec.quantity),
            status: Set(ClaimStatus::Confirmed),
            handoff_code: Set(random_code(6)),
            idempotency_key: Set(None),
            due_at: Set(made + Duration::days(7)),
            remind_at: Set(made + Duration::days(3)),
            reminded_at: Set(None),
            delivered_at: Set(Some(made + Duration::days(2))),
            confirmed_at: Set(Some(made + Duration::days(3))),
            ended_at: Set(None),
            rating: Set(Some(5)),
            version: Set(0),
            created_at: Set(made),
            updated_at: Set(made + Duration::days(3)),
            ..Default::default()
        }
        .insert(txn)
        .await?;
    }

    for (k, (name, activity, tenths, days_ago)) in VOLUNTEERS.iter().enumerate() {
        let (org_id, _, worker_id) = orgs[k % orgs.len()];
        let row = volunteer::ActiveModel {
            organization_id: Set(org_id),
            display_name: Set((*name).into()),
            contact_id: Set(None),
            former_beneficiary_id: Set(None),
            created_at: Set(now - Duration::days(days_ago + 7)),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        volunteer_hour::ActiveModel {
            volunteer_id: Set(row.id),
            need_id: Set(None),
            activity: Set((*activity).into()),
            tenths: Set(*tenths),
            served_on: Set(today - Duration::days(*days_ago)),
            status: Set("confirmed".into()),
            logged_by: Set(worker_id),
            confirmed_by: Set(Some(worker_id)),
            confirmed_at: Set(Some(now - Duration::days(days_ago - 1))),
            created_at: Set(now - Duration::days(*days_ago)),
            ..Default::default()
        }
        .insert(txn)
        .await?;
    }

    audit::record(txn, now, Entry::ok(Actor::System, "demo.load")).await?;
    Ok(())
}

async fn insert_or_find_community<C: ConnectionTrait>(
    txn: &C,
    row: community::ActiveModel,
    name: &str,
) -> Result<i64, ServiceError> {
    // An office may have added some of these communities by hand before loading the demo.
    if let Some(found) = community::Entity::find()
        .filter(community::Column::Name.eq(name))
        .one(txn)
        .await?
    {
        return Ok(found.id);
    }
    Ok(row.insert(txn).await?.id)
}

async fn insert_staff<C: ConnectionTrait>(
    txn: &C,
    email: &str,
    display_name: &str,
    role: Role,
    organization_id: Option<i64>,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<i64, ServiceError> {
    let row = staff::ActiveModel {
        email: Set(email.into()),
        password_hash: Set(password_hash.into()),
        role: Set(role.as_str().into()),
        organization_id: Set(organization_id),
        display_name: Set(display_name.into()),
        locale: Set(None),
        active: Set(true),
        password_changed_at: Set(now),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map_err(|e| {
        ServiceError::on_unique(
            e,
            format!("a staff account {email} exists already; the demo cannot be loaded over it"),
        )
    })?;
    Ok(row.id)
}

/// The same code on every run (derived from the secret), stored once and kept valid.
async fn ensure_demo_link_code<C: ConnectionTrait>(
    txn: &C,
    secret: &Secret,
    merchant_id: i64,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    let code: String = crypto::derive_key(secret, "demo-link-code")
        .iter()
        .take(8)
        .map(|b| char::from(UNAMBIGUOUS_ALPHABET[*b as usize % UNAMBIGUOUS_ALPHABET.len()]))
        .collect();
    let digest = super::merchants::link_code_digest(secret, &code);
    let expires_at = now + Duration::hours(super::merchants::LINK_CODE_TTL_HOURS);
    match merchant_link_code::Entity::find()
        .filter(merchant_link_code::Column::CodeDigest.eq(&digest))
        .one(txn)
        .await?
    {
        Some(found) if found.used_at.is_none() && found.expires_at < expires_at - Duration::hours(1) => {
            // Keep the printed code usable for another day without adding a row.
            let mut active: merchant_link_code::ActiveModel = found.into();
            active.expires_at = Set(expires_at);
            active.update(txn).await?;
        }
        Some(_) => {}
        None => {
            merchant_link_code::ActiveModel {
                merchant_id: Set(merchant_id),
                code_digest: Set(digest),
                created_at: Set(now),
                expires_at: Set(expires_at),
                used_at: Set(None),
                ..Default::default()
            }
            .insert(txn)
            .await?;
        }
    }
    Ok(code)
}
