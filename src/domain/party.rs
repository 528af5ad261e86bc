//! Organizations, merchants and staff: roles and admission states.

text_enum! {
    /// Admission state of an organization or merchant (准入).
    PartyStatus, "status" {
        Pending => ("pending", "待审核", "Pending"),
        Approved => ("approved", "已准入", "Approved"),
        Suspended => ("suspended", "已暂停", "Suspended"),
    }
}

text_enum! {
    /// What a staff account may do.
    Role, "role" {
        /// Subdistrict office staff: admits and reads everything of its subdistrict.
        Admin => ("admin", "街道办管理员", "Office administrator"),
        /// District civil-affairs bureau staff (区民政局): reads every subdistrict's reports,
        /// admissions and credit; changes nothing day to day.
        District => ("district", "区民政局", "District bureau"),
        /// A social worker of one organization.
        SocialWorker => ("social_worker", "社工", "Social worker"),
    }
}

text_enum! {
    /// A service an organization offers, as the office records it: a case is referred only
    /// to an organization whose areas cover the service sought.
    ServiceArea, "service area" {
        ElderCare => ("elder_care", "长者照顾", "Care for older people"),
        ChildWelfare => ("child_welfare", "儿童关爱与保护", "Child welfare and protection"),
        Disability => ("disability", "残障康复与支持", "Disability support"),
        MentalHealth => ("mental_health", "心理辅导", "Counselling and mental health"),
        LegalAid => ("legal_aid", "法律援助", "Legal aid"),
        Employment => ("employment", "就业帮扶", "Help finding work"),
        Medical => ("medical", "医疗救助与陪诊", "Medical help and escort to appointments"),
        Housing => ("housing", "住房与居家安全", "Housing and safety at home"),
        Education => ("education", "教育支持", "Education support"),
        Material => ("material", "物资救助", "Material relief"),
    }
}

text_enum! {
    /// The kind of an organization.
    OrgKind, "organization kind" {
        SocialWorkStation => ("social_work_station", "社工站", "Social work station"),
        SocialOrganization => ("social_organization", "社会团体", "Social organization"),
        VolunteerTeam => ("volunteer_team", "志愿者队伍", "Volunteer team"),
        Office => ("office", "街道办", "Subdistrict office"),
    }
}
