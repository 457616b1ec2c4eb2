#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use serde_json::json;

fn ty(v: Value) -> FieldType {
    FieldType::parse(&v).unwrap()
}

fn ok(t: &FieldType, v: Value) {
    assert!(t.validate(&v, "f").is_ok(), "{t:?} should accept {v}");
}

fn bad(t: &FieldType, v: Value) -> FieldError {
    t.validate(&v, "f")
        .expect_err(&format!("{t:?} should reject {v}"))
}

#[test]
fn parses_every_name_and_round_trips() {
    for name in [
        "string",
        "uuid",
        "email",
        "url",
        "date",
        "date-time",
        "boolean",
        "integer",
        "number",
        "object",
        "any",
    ] {
        let t = ty(json!(name));
        assert_eq!(t.to_value(), json!(name));
    }
    let complex = json!({"array": {"object": {"a": "uuid", "b": {"nullable": {"enum": ["x"]}}}, "required": ["a"]}, "min_items": 1});
    assert_eq!(ty(complex.clone()).to_value(), complex);
    let any_of = json!({"any_of": ["uuid", {"enum": ["FirstPreInterviewScreen"]}]});
    assert_eq!(ty(any_of.clone()).to_value(), any_of);
}

#[test]
fn refuses_bad_type_definitions() {
    for bad in [
        json!("strng"),
        json!(3),
        json!({}),
        json!({"enum": []}),
        json!({"enum": [1]}),
        json!({"array": "string", "max_items": 3}),
        json!({"array": "string", "min_items": -1}),
        json!({"enum": ["a"], "array": "string"}),
        json!({"object": {"a": "string"}, "required": ["b"]}),
        json!({"any_of": []}),
        json!({"nullable": "nope"}),
    ] {
        assert!(FieldType::parse(&bad).is_err(), "{bad} should be refused");
    }
}

#[test]
fn string_and_scalars() {
    let s = ty(json!("string"));
    ok(&s, json!(""));
    ok(&s, json!("Ada"));
    bad(&s, json!(1));
    bad(&s, json!(null));

    let b = ty(json!("boolean"));
    ok(&b, json!(true));
    ok(&b, json!(false));
    bad(&b, json!("true"));
    bad(&b, json!(0));

    let i = ty(json!("integer"));
    ok(&i, json!(0));
    ok(&i, json!(-7));
    ok(&i, json!(3.0));
    bad(&i, json!(1.5));
    bad(&i, json!("1"));

    let n = ty(json!("number"));
    ok(&n, json!(1.5));
    ok(&n, json!(-2));
    bad(&n, json!("1.5"));

    let o = ty(json!("object"));
    ok(&o, json!({}));
    ok(&o, json!({"a": 1}));
    bad(&o, json!([]));

    let a = ty(json!("any"));
    for v in [json!(null), json!(1), json!("x"), json!([]), json!({})] {
        ok(&a, v);
    }
}

#[test]
fn uuid() {
    let t = ty(json!("uuid"));
    ok(&t, json!("3ae2b801-19f6-41ef-ad28-214bd731948f"));
    ok(&t, json!("3AE2B801-19F6-41EF-AD28-214BD731948F"));
    for v in [
        "3ae2b80119f641efad28214bd731948f",
        "3ae2b801-19f6-41ef-ad28-214bd731948",
        "3ae2b801-19f6-41ef-ad28-214bd731948fa",
        "3ae2b801-19f6-41ef-ad28_214bd731948f",
        "ge2b8010-19f6-41ef-ad28-214bd731948f",
        "",
    ] {
        bad(&t, json!(v));
    }
    bad(&t, json!(12));
}

#[test]
fn email() {
    let t = ty(json!("email"));
    for v in [
        "bob@example.com",
        "a.b+tag@sub.example.co.uk",
        "o'neil@exämple.de",
    ] {
        ok(&t, json!(v));
    }
    for v in [
        "bob",
        "bob@",
        "@example.com",
        "bob@example",
        "bob@example.c",
        "bob@@example.com",
        "bob smith@example.com",
        "bob@exa mple.com",
        ".bob@example.com",
        "bo..b@example.com",
        "bob@-example.com",
        "bob@example..com",
        "bob@example.com\n",
        "bob@example.123",
    ] {
        bad(&t, json!(v));
    }
    let e = bad(&t, json!("bob"));
    assert_eq!(
        e.to_string(),
        "field \"f\": expected an email address, got \"bob\""
    );
}

#[test]
fn url() {
    let t = ty(json!("url"));
    for v in [
        "https://linkedin.com/in/ada",
        "http://example.com",
        "HTTPS://Example.com:8443/a?b=c#d",
        "https://localhost/x",
        "https://[::1]:8080/",
        "https://user@example.com/",
    ] {
        ok(&t, json!(v));
    }
    for v in [
        "linkedin.com/in/ada",
        "ftp://example.com",
        "https://",
        "https:///path",
        "https://exa mple.com",
        "https://example.com:port/",
        "https://example.com:/",
        "https://[zz]/",
        "javascript:alert(1)",
    ] {
        bad(&t, json!(v));
    }
}

#[test]
fn date() {
    let t = ty(json!("date"));
    for v in ["2024-02-29", "2000-02-29", "2023-12-31", "0001-01-01"] {
        ok(&t, json!(v));
    }
    for v in [
        "2023-02-29",
        "1900-02-29",
        "2023-04-31",
        "2023-13-01",
        "2023-00-10",
        "2023-01-00",
        "0000-01-01",
        "2023-1-01",
        "2023/01/01",
        "2023-01-01T00:00:00Z",
        "20230101",
    ] {
        bad(&t, json!(v));
    }
}

#[test]
fn date_time() {
    let t = ty(json!("date-time"));
    for v in [
        "2024-05-01T09:30:00Z",
        "2024-05-01T09:30:00.123Z",
        "2024-05-01T09:30:00+02:00",
        "2024-05-01T09:30:00-0530",
        "2024-05-01t09:30z",
        "2016-12-31T23:59:60Z",
    ] {
        ok(&t, json!(v));
    }
    for v in [
        "2024-05-01",
        "2024-05-01T09:30:00",
        "2024-05-01 09:30:00Z",
        "2024-02-30T09:30:00Z",
        "2024-05-01T24:00:00Z",
        "2024-05-01T09:60:00Z",
        "2024-05-01T09:30:00.Z",
        "2024-05-01T09:30:00+2",
        "2024-05-01T09:30:00+02:00x",
    ] {
        bad(&t, json!(v));
    }
}

#[test]
fn enum_array_object_any_of_nullable() {
    let e = ty(json!({"enum": ["Draft", "Open"]}));
    ok(&e, json!("Draft"));
    bad(&e, json!("draft"));
    assert_eq!(e.describe(), "one of \"Draft\", \"Open\"");

    let a = ty(json!({"array": "uuid", "min_items": 1}));
    ok(&a, json!(["3ae2b801-19f6-41ef-ad28-214bd731948f"]));
    let err = bad(&a, json!([]));
    assert_eq!(err.path, "f");
    assert!(err.expected.contains("at least 1 item"));
    let err = bad(&a, json!(["3ae2b801-19f6-41ef-ad28-214bd731948f", "x"]));
    assert_eq!(err.path, "f[1]");
    bad(&a, json!("3ae2b801-19f6-41ef-ad28-214bd731948f"));

    let o = ty(
        json!({"object": {"fieldId": "uuid", "fieldValue": "any"}, "required": ["fieldId", "fieldValue"]}),
    );
    ok(
        &o,
        json!({"fieldId": "3ae2b801-19f6-41ef-ad28-214bd731948f", "fieldValue": null, "extra": 1}),
    );
    let err = bad(
        &o,
        json!({"fieldId": "3ae2b801-19f6-41ef-ad28-214bd731948f"}),
    );
    assert_eq!(err.path, "f.fieldValue");
    let err = bad(&o, json!({"fieldId": "nope", "fieldValue": 1}));
    assert_eq!(err.path, "f.fieldId");
    bad(&o, json!([]));

    let nested = ty(json!({"array": {"object": {"fieldId": "uuid"}}}));
    let err = nested
        .validate(&json!([{"fieldId": "x"}]), "values")
        .unwrap_err();
    assert_eq!(err.path, "values[0].fieldId");

    let any_of = ty(json!({"any_of": ["uuid", {"enum": ["FirstPreInterviewScreen"]}]}));
    ok(&any_of, json!("FirstPreInterviewScreen"));
    ok(&any_of, json!("3ae2b801-19f6-41ef-ad28-214bd731948f"));
    let err = bad(&any_of, json!("first"));
    assert_eq!(err.expected, "a UUID or one of \"FirstPreInterviewScreen\"");

    let n = ty(json!({"nullable": {"array": "uuid"}}));
    ok(&n, json!(null));
    ok(&n, json!([]));
    let err = bad(&n, json!("x"));
    assert_eq!(err.expected, "an array of UUIDs or null");
    assert!(n.accepts_null());
    assert!(!ty(json!("uuid")).accepts_null());
}

#[test]
fn render_truncates() {
    let long = json!("x".repeat(100));
    let r = render(&long);
    assert_eq!(r.chars().count(), RENDER_MAX + 1);
    assert!(r.ends_with('…'));
    assert_eq!(truncate("héllo", 2), "hé…");
    assert_eq!(truncate("hé", 2), "hé");
}
