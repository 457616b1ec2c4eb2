use super::*;
use serde_json::Value;

#[test]
fn the_schema_offers_every_template_as_a_const_and_every_key() {
    let d = describe();
    let schema: Value = serde_json::from_str(&d.config_schema).unwrap();
    let ids: Vec<&str> = schema["properties"]["template"]["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["const"].as_str().unwrap())
        .collect();
    assert_eq!(ids, crate::templates::ids().unwrap());
    let keys: Vec<&str> = schema["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, crate::config::KEYS);
    assert_eq!(
        schema["x-ui"]["order"].as_array().unwrap().len(),
        keys.len()
    );
}

#[test]
fn the_catalog_lists_steps_permissions_and_fields() {
    let d = describe();
    let catalog: Value = serde_json::from_str(&d.catalog).unwrap();
    let all = crate::templates::all().unwrap();
    let entries = catalog["templates"].as_array().unwrap();
    assert_eq!(entries.len(), all.len());
    for (e, t) in entries.iter().zip(all) {
        assert_eq!(e["id"], t.id.as_str());
        assert_eq!(e["steps"].as_array().unwrap().len(), t.steps.len());
        assert_eq!(e["fields"].as_array().unwrap().len(), t.fields.len());
        for s in &t.steps {
            assert!(
                e["permissions"]
                    .as_array()
                    .unwrap()
                    .contains(&Value::from(s.permission.as_str()))
            );
        }
        for r in &t.required {
            let f = e["fields"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["name"] == r.as_str())
                .unwrap();
            assert_eq!(f["required"], true, "{} {r}", t.id);
        }
    }
    let names: Vec<&str> = d.checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["auth", "permission"]);
}
