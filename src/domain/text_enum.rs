//! `text_enum!` declares an enum stored as text, with its zh-CN and en labels; `code_enum!`
//! one stored as text that people never see by itself (its labels, if any, live in `locales/`).

/// Declares `enum $name { $variant => "text", … }` with `as_str`, `FromStr`, `Display` and `ALL`.
macro_rules! code_enum {
    ($(#[$meta:meta])* $name:ident, $kind:literal { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every variant, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The text stored in the database and used in forms and the API.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::domain::UnknownVariant;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::domain::UnknownVariant {
                        kind: $kind,
                        value: s.chars().take(40).collect(),
                        expected: [$($text),+].join(", "),
                    }),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// Declares `enum $name { $variant => ("text", "中文", "English"), … }` with `as_str`,
/// `FromStr`, `ALL` and `label(locale)`.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident, $kind:literal { $($(#[$vmeta:meta])* $variant:ident => ($text:literal, $zh:literal, $en:literal)),+ $(,)? }) => {
        code_enum! {
            $(#[$meta])*
            $name, $kind { $($(#[$vmeta])* $variant => $text),+ }
        }

        impl $name {
            /// The label shown to people.
            pub fn label(self, locale: $crate::domain::Locale) -> &'static str {
                match (self, locale) {
                    $(($name::$variant, $crate::domain::Locale::ZhCn) => $zh,
                      ($name::$variant, $crate::domain::Locale::En) => $en,)+
                }
            }
        }
    };
}
