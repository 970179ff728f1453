//! ValidatePolicy's answer, shaped as the Access Analyzer API shapes it
//! (`ValidatePolicyFinding`, `Location`, `PathElement`, `Span`, `Position` of the botocore
//! model `accessanalyzer` 2019-11-01), and the table of issue codes: each code's finding
//! type and learn-more link, from AWS's "IAM policy validation check reference".

use std::fmt;

/// `ValidatePolicyFindingType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FindingType {
    /// `ERROR`: a part of the policy is not functional.
    Error,
    /// `SECURITY_WARNING`: the policy allows access considered overly permissive.
    SecurityWarning,
    /// `WARNING`: the policy does not conform to policy-writing best practices.
    Warning,
    /// `SUGGESTION`: a stylistic improvement that does not change access.
    Suggestion,
}

impl FindingType {
    /// AWS's wire name: `ERROR`, `SECURITY_WARNING`, `WARNING`, `SUGGESTION`.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingType::Error => "ERROR",
            FindingType::SecurityWarning => "SECURITY_WARNING",
            FindingType::Warning => "WARNING",
            FindingType::Suggestion => "SUGGESTION",
        }
    }

    /// The word the reference's anchors use: `error`, `security-warning`,
    /// `general-warning`, `suggestion`.
    fn anchor(self) -> &'static str {
        match self {
            FindingType::Error => "error",
            FindingType::SecurityWarning => "security-warning",
            FindingType::Warning => "general-warning",
            FindingType::Suggestion => "suggestion",
        }
    }
}

impl fmt::Display for FindingType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! issue_codes {
    ($($(#[$doc:meta])* $variant:ident = $code:literal, $kind:ident;)*) => {
        /// An issue code of AWS's policy check reference that oxiam implements.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum IssueCode {
            $($(#[$doc])* $variant,)*
        }

        impl IssueCode {
            /// Every implemented code, in the order of this table.
            pub const ALL: &'static [IssueCode] = &[$(IssueCode::$variant,)*];

            /// AWS's `issueCode`: `PASS_ROLE_WITH_STAR_IN_RESOURCE`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(IssueCode::$variant => $code,)*
                }
            }

            /// The finding type AWS reports this code with.
            pub fn finding_type(self) -> FindingType {
                match self {
                    $(IssueCode::$variant => FindingType::$kind,)*
                }
            }
        }
    };
}

issue_codes! {
    // Errors: grammar.
    JsonSyntaxError = "JSON_SYNTAX_ERROR", Error;
    DataTypeMismatch = "DATA_TYPE_MISMATCH", Error;
    InvalidPolicyElement = "INVALID_POLICY_ELEMENT", Error;
    MissingStatement = "MISSING_STATEMENT", Error;
    MissingEffect = "MISSING_EFFECT", Error;
    InvalidEffect = "INVALID_EFFECT", Error;
    InvalidVersion = "INVALID_VERSION", Error;
    MissingAction = "MISSING_ACTION", Error;
    MissingResource = "MISSING_RESOURCE", Error;
    MissingPrincipal = "MISSING_PRINCIPAL", Error;
    UnsupportedElementCombination = "UNSUPPORTED_ELEMENT_COMBINATION", Error;
    UnsupportedPrincipal = "UNSUPPORTED_PRINCIPAL", Error;
    ScpSyntaxErrorPrincipal = "SCP_SYNTAX_ERROR_PRINCIPAL", Error;
    UniqueSidsRequired = "UNIQUE_SIDS_REQUIRED", Error;
    UnsupportedSid = "UNSUPPORTED_SID", Error;
    // Errors: principals.
    InvalidPrincipalFormat = "INVALID_PRINCIPAL_FORMAT", Error;
    InvalidPrincipalKey = "INVALID_PRINCIPAL_KEY", Error;
    UnsupportedWildcardInPrincipal = "UNSUPPORTED_WILDCARD_IN_PRINCIPAL", Error;
    MismatchedActionForPrincipal = "MISMATCHED_ACTION_FOR_PRINCIPAL", Error;
    // Errors: actions.
    InvalidAction = "INVALID_ACTION", Error;
    InvalidServiceInAction = "INVALID_SERVICE_IN_ACTION", Error;
    // Errors: resources.
    InvalidArnPrefix = "INVALID_ARN_PREFIX", Error;
    MissingArnField = "MISSING_ARN_FIELD", Error;
    InvalidPartition = "INVALID_PARTITION", Error;
    InvalidArnServiceCase = "INVALID_ARN_SERVICE_CASE", Error;
    InvalidArnAccount = "INVALID_ARN_ACCOUNT", Error;
    InvalidArnRegion = "INVALID_ARN_REGION", Error;
    ArnRegionNotAllowed = "ARN_REGION_NOT_ALLOWED", Error;
    ArnAccountNotAllowed = "ARN_ACCOUNT_NOT_ALLOWED", Error;
    MissingArnRegion = "MISSING_ARN_REGION", Error;
    InvalidArnResource = "INVALID_ARN_RESOURCE", Error;
    // Errors: conditions.
    InvalidConditionOperator = "INVALID_CONDITION_OPERATOR", Error;
    InvalidConditionKeyFormat = "INVALID_CONDITION_KEY_FORMAT", Error;
    InvalidGlobalConditionKey = "INVALID_GLOBAL_CONDITION_KEY", Error;
    UnsupportedGlobalConditionKey = "UNSUPPORTED_GLOBAL_CONDITION_KEY", Error;
    InvalidService = "INVALID_SERVICE", Error;
    InvalidServiceConditionKey = "INVALID_SERVICE_CONDITION_KEY", Error;
    MissingTagKeyInCondition = "MISSING_TAG_KEY_IN_CONDITION", Error;
    NullWithIfExists = "NULL_WITH_IF_EXISTS", Error;
    DuplicateKeysWithDifferentCase = "DUPLICATE_KEYS_WITH_DIFFERENT_CASE", Error;
    InvalidVariableForOperator = "INVALID_VARIABLE_FOR_OPERATOR", Error;
    VariableUnsupportedInVersion = "VARIABLE_UNSUPPORTED_IN_VERSION", Error;
    VariableUnsupportedInElement = "VARIABLE_UNSUPPORTED_IN_ELEMENT", Error;
    MissingBraceInVariable = "MISSING_BRACE_IN_VARIABLE", Error;
    EmptyVariable = "EMPTY_VARIABLE", Error;
    UnsupportedSpaceInVariable = "UNSUPPORTED_SPACE_IN_VARIABLE", Error;
    MissingQuoteInVariable = "MISSING_QUOTE_IN_VARIABLE", Error;
    MissingQualifier = "MISSING_QUALIFIER", Error;
    UnsupportedActionForConditionKey = "UNSUPPORTED_ACTION_FOR_CONDITION_KEY", Error;
    InvalidConditionMultipleBoolean = "INVALID_CONDITION_MULTIPLE_BOOLEAN", Error;
    InvalidConditionDataType = "INVALID_CONDITION_DATA_TYPE", Error;
    PolicySizeExceedsScpQuota = "POLICY_SIZE_EXCEEDS_SCP_QUOTA", Error;
    UnsupportedActionInPolicy = "UNSUPPORTED_ACTION_IN_POLICY", Error;
    InvalidServicePrincipalFormat = "INVALID_SERVICE_PRINCIPAL_FORMAT", Error;
    InvalidRegion = "INVALID_REGION", Error;
    UnsupportedResourceArnInPolicy = "UNSUPPORTED_RESOURCE_ARN_IN_POLICY", Error;
    PrivateIpAddress = "PRIVATE_IP_ADDRESS", Error;
    PrivateNotIpAddress = "PRIVATE_NOT_IP_ADDRESS", Error;
    // General warnings.
    MissingVersion = "MISSING_VERSION", Warning;
    UniqueSidsRecommended = "UNIQUE_SIDS_RECOMMENDED", Warning;
    TypeMismatch = "TYPE_MISMATCH", Warning;
    TypeMismatchBoolean = "TYPE_MISMATCH_BOOLEAN", Warning;
    TypeMismatchDate = "TYPE_MISMATCH_DATE", Warning;
    TypeMismatchNumber = "TYPE_MISMATCH_NUMBER", Warning;
    TypeMismatchIpRange = "TYPE_MISMATCH_IP_RANGE", Warning;
    WildcardWithoutLikeOperator = "WILDCARD_WITHOUT_LIKE_OPERATOR", Warning;
    InvalidDateValue = "INVALID_DATE_VALUE", Warning;
    PolicySizeExceedsIdentityPolicyQuota = "POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA", Warning;
    InvalidRoleReference = "INVALID_ROLE_REFERENCE", Warning;
    InvalidUserReference = "INVALID_USER_REFERENCE", Warning;
    CreateSlrWithStarInResource = "CREATE_SLR_WITH_STAR_IN_RESOURCE", Warning;
    CreateSlrWithStarInActionAndResource = "CREATE_SLR_WITH_STAR_IN_ACTION_AND_RESOURCE", Warning;
    CreateSlrWithStarInResourceAndNotAction = "CREATE_SLR_WITH_STAR_IN_RESOURCE_AND_NOT_ACTION", Warning;
    CreateSlrWithNotResource = "CREATE_SLR_WITH_NOT_RESOURCE", Warning;
    CreateSlrWithStarInActionAndNotResource = "CREATE_SLR_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE", Warning;
    CreateSlrWithNotActionAndNotResource = "CREATE_SLR_WITH_NOT_ACTION_AND_NOT_RESOURCE", Warning;
    // Security warnings.
    AllowWithNotPrincipal = "ALLOW_WITH_NOT_PRINCIPAL", SecurityWarning;
    PassRoleWithStarInResource = "PASS_ROLE_WITH_STAR_IN_RESOURCE", SecurityWarning;
    PassRoleWithStarInActionAndResource = "PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE", SecurityWarning;
    PassRoleWithStarInResourceAndNotAction = "PASS_ROLE_WITH_STAR_IN_RESOURCE_AND_NOT_ACTION", SecurityWarning;
    PassRoleWithNotResource = "PASS_ROLE_WITH_NOT_RESOURCE", SecurityWarning;
    PassRoleWithStarInActionAndNotResource = "PASS_ROLE_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE", SecurityWarning;
    PassRoleWithNotActionAndNotResource = "PASS_ROLE_WITH_NOT_ACTION_AND_NOT_RESOURCE", SecurityWarning;
    ForAllValuesWithSingleValuedKey = "FORALLVALUES_WITH_SINGLE_VALUED_KEY", SecurityWarning;
    MissingPairedConditionKeys = "MISSING_PAIRED_CONDITION_KEYS", SecurityWarning;
    DenyWithUnsupportedTagConditionKeyForService = "DENY_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE", SecurityWarning;
    DenyNotActionWithUnsupportedTagConditionKeyForService = "DENY_NOTACTION_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE", SecurityWarning;
    // Suggestions.
    EmptySidValue = "EMPTY_SID_VALUE", Suggestion;
    EmptyArrayAction = "EMPTY_ARRAY_ACTION", Suggestion;
    EmptyArrayResource = "EMPTY_ARRAY_RESOURCE", Suggestion;
    EmptyArrayPrincipal = "EMPTY_ARRAY_PRINCIPAL", Suggestion;
    EmptyObjectPrincipal = "EMPTY_OBJECT_PRINCIPAL", Suggestion;
    EmptyObjectCondition = "EMPTY_OBJECT_CONDITION", Suggestion;
    EmptyArrayCondition = "EMPTY_ARRAY_CONDITION", Suggestion;
    EmptyArrayConditionForAllValues = "EMPTY_ARRAY_CONDITION_FORALLVALUES", Suggestion;
    EmptyArrayConditionForAnyValue = "EMPTY_ARRAY_CONDITION_FORANYVALUE", Suggestion;
    EmptyArrayConditionIfExists = "EMPTY_ARRAY_CONDITION_IFEXISTS", Suggestion;
    NullWithQualifier = "NULL_WITH_QUALIFIER", Suggestion;
    RedundantAction = "REDUNDANT_ACTION", Suggestion;
    RedundantResource = "REDUNDANT_RESOURCE", Suggestion;
    RedundantStatement = "REDUNDANT_STATEMENT", Suggestion;
    WildcardInServiceName = "WILDCARD_IN_SERVICE_NAME", Suggestion;
    ImproveIpRange = "IMPROVE_IP_RANGE", Suggestion;
    AllowWithUnsupportedTagConditionKeyForService = "ALLOW_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE", Suggestion;
    AllowNotActionWithUnsupportedTagConditionKeyForService = "ALLOW_NOTACTION_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE", Suggestion;
    RedundantConditionValueNum = "REDUNDANT_CONDITION_VALUE_NUM", Suggestion;
    PrivateIpAddressSubset = "PRIVATE_IP_ADDRESS_SUBSET", Suggestion;
    PrivateNotIpAddressSubset = "PRIVATE_NOT_IP_ADDRESS_SUBSET", Suggestion;
}

/// The reference page every `learnMoreLink` points into.
pub const REFERENCE_PAGE: &str =
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html";

impl IssueCode {
    /// AWS's `learnMoreLink`: the reference page's anchor for this check,
    /// `#access-analyzer-reference-policy-checks-<type>-<code in kebab case>` (the form of
    /// every anchor on the page, e.g. `…-suggestion-empty-sid-value`).
    pub fn learn_more_link(self) -> String {
        let slug = self.as_str().to_ascii_lowercase().replace('_', "-");
        format!(
            "{REFERENCE_PAGE}#access-analyzer-reference-policy-checks-{}-{slug}",
            self.finding_type().anchor()
        )
    }
}

impl fmt::Display for IssueCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `ValidatePolicyFinding`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// `findingType`.
    pub finding_type: FindingType,
    /// `issueCode`.
    pub issue_code: IssueCode,
    /// `findingDetails`: AWS's message for the check, placeholders filled.
    pub finding_details: String,
    /// `learnMoreLink`.
    pub learn_more_link: String,
    /// `locations`: the places in the document the finding is about.
    pub locations: Vec<Location>,
}

/// `Location`: a path to a JSON node and the span of text it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub path: Vec<PathElement>,
    pub span: Span,
}

/// `PathElement` (a union): one step from the document's root towards a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathElement {
    /// `index`: an element of an array.
    Index(usize),
    /// `key`: a key of an object, the key text itself (an unknown element name).
    Key(String),
    /// `value`: the value of a key of an object (`{"value": "Statement"}`).
    Value(String),
    /// `substring`: part of a string.
    Substring { start: usize, length: usize },
}

/// `Span`: start inclusive, end exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: Position,
    pub end: Position,
}

/// `Position`: `line` from 1, `column` from 0, `offset` from 0; columns and offsets count
/// characters (Unicode scalar values), not bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    pub line: usize,
    pub column: usize,
    pub offset: usize,
}

/// Byte offsets of a document turned into positions: the start of each line, once.
pub(crate) struct Lines<'a> {
    src: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(src: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            src.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Lines { src, starts }
    }

    /// The position of byte `offset` (clamped to the document, rounded down to a character).
    pub(crate) fn position(&self, offset: usize) -> Position {
        let mut offset = offset.min(self.src.len());
        while !self.src.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|s| *s <= offset);
        let line_start = self
            .starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(0);
        let chars =
            |range: std::ops::Range<usize>| self.src.get(range).map_or(0, |s| s.chars().count());
        Position {
            line,
            column: chars(line_start..offset),
            offset: chars(0..offset),
        }
    }

    pub(crate) fn span(&self, start: usize, end: usize) -> Span {
        Span {
            start: self.position(start),
            end: self.position(end),
        }
    }
}
