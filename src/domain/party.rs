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
        /// Subdistrict office staff: sees everything.
        Admin => ("admin", "街道办管理员", "Office administrator"),
        /// A social worker of one organization.
        SocialWorker => ("social_worker", "社工", "Social worker"),
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
