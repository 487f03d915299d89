//! The language-model fallback against tests/llm/server.py, a scripted
//! server that speaks the OpenAI and Anthropic wire formats: a good plan,
//! a refused plan then a good one, three bad plans, malformed JSON, a
//! rate limit, a timeout, a spent budget, model rotation, the cache,
//! nothing sent without `--llm`, and the languages without a runtime or a
//! grammar.

use crate::util::*;
use serde_json::{json, Value};
use std::path::Path;

const SHOP: &str = "class Shop {\n    int add(int a, int b) {\n        int s = a + b;\n        if (s > 10) {\n            return 10;\n        }\n        return s;\n    }\n}\n";

/// A good plan for SHOP as the file `path`.
fn good_plan(path: &str) -> Value {
    json!({"inserts": [
        {"line": 2, "column": 28, "text": format!("ctinject.CtInject.Span _ct_s = ctinject.CtInject.span(\"{path}\", 2, \"Shop.add\", \"a\", a, \"b\", b); try {{")},
        {"line": 3, "column": 23, "text": format!("ctinject.CtInject.v(\"{path}\", 3, \"s\", s);")},
        {"line": 4, "column": 22, "text": format!("ctinject.CtInject.b(\"{path}\", 4, 0);")},
        {"line": 8, "column": 5, "text": "} catch (Throwable _ct_t) { _ct_s.fail(_ct_t); throw _ct_t; } finally { _ct_s.end(); }"},
    ]})
}

/// A plan that writes code of its own.
fn bad_plan() -> Value {
    json!({"inserts": [{"line": 3, "column": 23, "text": "System.exit(0);"}]})
}

fn server(script: &Value) -> Option<LocalServer> {
    let python = require_tool("python3")?;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("script.json");
    std::fs::write(&path, script.to_string()).unwrap();
    let server = LocalServer::start(
        &python,
        "tests/llm/server.py",
        &["--script", path.to_str().unwrap()],
    );
    // the script is read at start
    drop(dir);
    Some(server)
}

/// A project with Shop.java (and more files when given), instrumented with
/// the environment `env`.
fn run_ctinject(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = clean_command(ctinject_bin());
    cmd.current_dir(dir).args(args);
    for var in [
        "LLM_PROVIDER",
        "LLM_MODEL",
        "LLM_BASE_URL",
        "LLM_TIMEOUT",
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    run(&mut cmd)
}

fn openai(url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("LLM_PROVIDER", "openai".into()),
        ("LLM_MODEL", "gpt-4o-mini".into()),
        ("LLM_BASE_URL", format!("{url}/v1")),
        ("OPENAI_API_KEY", "sk-test".into()),
    ]
}

fn env_refs<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

fn report(o: &std::process::Output) -> Value {
    serde_json::from_str(&stdout(o)).unwrap_or_else(|e| panic!("{e}\n{}", describe(o)))
}

/// The JSON report of a run that must have exited 0.
fn report_ok(o: &std::process::Output) -> Value {
    assert_eq!(o.status.code(), Some(0), "{}", describe(o));
    report(o)
}

fn file_report<'a>(r: &'a Value, path: &str) -> &'a Value {
    r["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == path)
        .unwrap_or_else(|| panic!("no {path} in {r}"))
}

#[test]
fn without_llm_nothing_is_sent_and_the_file_says_how() {
    let Some(server) = server(&json!([{"plan": good_plan("Shop.java")}])) else {
        return;
    };
    let t = tree(&[("Shop.java", SHOP), ("app.py", "x = 1\n")]);
    let env = openai(&server.url());
    let o = run_ctinject(
        t.path(),
        &[".", "--dry-run", "--format", "json"],
        &env_refs(&env),
    );
    let r = report_ok(&o);
    let shop = file_report(&r, "Shop.java");
    assert_eq!(shop["status"], "skipped");
    // listed, but out of coverage until the user opts in
    assert_eq!(shop["points"], json!({}), "{shop}");
    let reason = shop["reason"].as_str().unwrap();
    assert!(
        reason.contains("pass --llm to send it to openai (gpt-4o-mini)"),
        "{reason}"
    );
    assert!(server.requests().is_empty(), "a request without --llm");
    // and with no provider at all
    let o = run_ctinject(t.path(), &[".", "--dry-run", "--format", "json"], &[]);
    let reason = file_report(&report(&o), "Shop.java")["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        reason.contains("set LLM_PROVIDER and LLM_MODEL"),
        "{reason}"
    );
    // --llm without a provider is an error
    let o = run_ctinject(t.path(), &[".", "--dry-run", "--llm"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--llm needs a provider"),
        "{}",
        describe(&o)
    );
}

#[test]
fn a_good_plan_instruments_the_file_keeps_its_lines_and_is_cached() {
    let Some(server) = server(&json!([{"plan": good_plan("Shop.java")}])) else {
        return;
    };
    let t = tree(&[("proj/Shop.java", SHOP)]);
    let env = openai(&server.url());
    let o = run_ctinject(
        t.path(),
        &[
            "proj",
            "--out",
            "out",
            "--llm",
            "--format",
            "json",
            "--cache-dir",
            "cache",
        ],
        &env_refs(&env),
    );
    let r = report_ok(&o);
    let shop = file_report(&r, "Shop.java");
    assert_eq!(shop["status"], "instrumented", "{shop}");
    assert_eq!(shop["points"]["function"]["instrumented"], 1);
    let out = std::fs::read_to_string(t.path().join("out/Shop.java")).unwrap();
    assert_eq!(out.lines().count(), SHOP.lines().count());
    assert!(
        out.contains("int s = a + b;ctinject.CtInject.v(\"Shop.java\", 3, \"s\", s);"),
        "{out}"
    );
    assert!(
        t.path().join("out/ctinject/CtInject.java").is_file(),
        "the runtime beside it"
    );
    assert_eq!(r["llm"]["provider"], "openai");
    assert_eq!(r["llm"]["sent"][0]["file"], "Shop.java");
    // 1000 input and 200 output tokens at gpt-4o-mini's price
    let cost = r["llm"]["cost"].as_f64().unwrap();
    assert!(
        (cost - (1000.0 * 0.15 + 200.0 * 0.60) / 1e6).abs() < 1e-9,
        "{cost}"
    );
    // what was sent: the forms, the file with numbered lines, the schema
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let body = &requests[0]["body"];
    assert_eq!(requests[0]["path"], "/v1/chat/completions");
    assert_eq!(requests[0]["headers"]["authorization"], "Bearer sk-test");
    assert_eq!(body["model"], "gpt-4o-mini");
    assert_eq!(body["response_format"]["type"], "json_schema");
    assert!(body["messages"][1]["content"]
        .as_str()
        .unwrap()
        .contains("3|        int s = a + b;"));

    // The instrumented copy compiles and runs with the runtime, when javac is here.
    if let (Some(javac), Some(java)) = (require_tool("javac"), require_tool("java")) {
        std::fs::write(
            t.path().join("out/Main.java"),
            "public class Main { public static void main(String[] a) { System.out.println(new Shop().add(4, 9)); } }\n",
        )
        .unwrap();
        let o = run(std::process::Command::new(javac)
            .args([
                "-d",
                "classes",
                "Main.java",
                "Shop.java",
                "ctinject/CtInject.java",
            ])
            .current_dir(t.path().join("out")));
        assert!(o.status.success(), "{}", describe(&o));
        let trace = t.path().join("trace.jsonl");
        let o = run(std::process::Command::new(java)
            .args(["-cp", "classes", "Main"])
            .current_dir(t.path().join("out"))
            .env("CTINJECT_TRACE_FILE", &trace));
        assert_eq!(stdout(&o), "10\n", "{}", describe(&o));
        let events = read_events(&trace);
        let span = span_named(&events, "Shop.add");
        assert_eq!(span["args"]["a"], "4");
        assert!(events
            .iter()
            .any(|e| e["type"] == "var" && e["name"] == "s" && e["value"] == "13"));
        assert!(events
            .iter()
            .any(|e| e["type"] == "branch" && e["site"] == 4));
    }

    // a second run: from the cache, no request, $0
    let o = run_ctinject(
        t.path(),
        &[
            "proj",
            "--dry-run",
            "--llm",
            "--format",
            "json",
            "--cache-dir",
            "cache",
        ],
        &env_refs(&env),
    );
    let r = report(&o);
    assert_eq!(r["llm"]["cached"], json!(["Shop.java"]), "{}", describe(&o));
    assert_eq!(r["llm"]["cost"], 0.0);
    assert_eq!(server.requests().len(), 1, "no request the second time");
}

#[test]
fn a_plan_that_breaks_the_grammar_is_asked_again_with_the_reason() {
    // a form, but inside `int s = a + b;`: Java's grammar refuses the result
    let mut breaks = good_plan("Shop.java");
    breaks["inserts"][1]["column"] = json!(13);
    let Some(server) = server(&json!([{"plan": breaks}, {"plan": good_plan("Shop.java")}])) else {
        return;
    };
    let t = tree(&[("Shop.java", SHOP)]);
    let env = openai(&server.url());
    let o = run_ctinject(
        t.path(),
        &[".", "--dry-run", "--llm", "--format", "json", "--no-cache"],
        &env_refs(&env),
    );
    let r = report(&o);
    assert_eq!(
        file_report(&r, "Shop.java")["status"],
        "instrumented",
        "{}",
        describe(&o)
    );
    assert_eq!(r["llm"]["sent"][0]["attempts"], 2);
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let second = requests[1]["body"]["messages"][1]["content"]
        .as_str()
        .unwrap();
    assert!(
        second.contains("Your previous answer was refused: the result does not parse as java: a syntax error at line 3"),
        "{second}"
    );
}

#[test]
fn three_refused_answers_skip_the_file_with_the_last_reason() {
    // code of its own, a body that is not JSON, prose around an empty plan
    let Some(server) = server(&json!([
        {"plan": bad_plan()},
        {"raw": "this is not JSON"},
        {"text": "Sure! Here you go: {\"inserts\": []}"},
        {"plan": good_plan("Shop.java")},
    ])) else {
        return;
    };
    let t = tree(&[("proj/Shop.java", SHOP)]);
    let env = openai(&server.url());
    let o = run_ctinject(
        t.path(),
        &[
            "proj",
            "--out",
            "out",
            "--llm",
            "--format",
            "json",
            "--no-cache",
        ],
        &env_refs(&env),
    );
    let r = report_ok(&o);
    let shop = file_report(&r, "Shop.java");
    assert_eq!(shop["status"], "skipped", "{shop}");
    let reason = shop["reason"].as_str().unwrap();
    assert!(
        reason.contains("3 answers refused; the last: the answer has no inserts"),
        "{reason}"
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 3, "no fourth attempt");
    // code of its own is refused as not a form (nothing the model writes is
    // kept but the forms: no original text can be removed or rewritten)
    let second = requests[1]["body"]["messages"][1]["content"]
        .as_str()
        .unwrap();
    assert!(
        second.contains("\"System.exit(0);\" is not one of the call forms"),
        "{second}"
    );
    // nothing of it was written: the copy holds the original
    assert_eq!(
        std::fs::read_to_string(t.path().join("out/Shop.java")).unwrap(),
        SHOP
    );
    assert_eq!(r["llm"]["sent"][0]["accepted"], false);
}

#[test]
fn rate_limits_are_waited_out_timeouts_name_the_provider() {
    let Some(server) = server(&json!([
        {"status": 429, "retry_after": 1},
        {"plan": good_plan("Shop.java")},
    ])) else {
        return;
    };
    let t = tree(&[("Shop.java", SHOP)]);
    let env = openai(&server.url());
    let o = run_ctinject(
        t.path(),
        &[".", "--dry-run", "--llm", "--format", "json", "--no-cache"],
        &env_refs(&env),
    );
    let r = report(&o);
    assert_eq!(
        file_report(&r, "Shop.java")["status"],
        "instrumented",
        "{}",
        describe(&o)
    );
    assert_eq!(
        r["llm"]["sent"][0]["attempts"], 1,
        "a rate limit is not an attempt"
    );
    assert_eq!(server.requests().len(), 2);

    let Some(hang) = server_hanging() else { return };
    let mut env = openai(&hang.url());
    env.push(("LLM_TIMEOUT", "1".into()));
    let o = run_ctinject(
        t.path(),
        &[".", "--dry-run", "--llm", "--format", "json", "--no-cache"],
        &env_refs(&env),
    );
    let r = report(&o);
    let reason = file_report(&r, "Shop.java")["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        reason.contains("openai (gpt-4o-mini at http://127.0.0.1:")
            && reason.contains("did not answer within 1s"),
        "{reason}"
    );
}

fn server_hanging() -> Option<LocalServer> {
    server(&json!([{"hang": true}]))
}

#[test]
fn the_budget_stops_new_requests_and_models_rotate() {
    let Some(server) = server(&json!([{"plan": good_plan("A.java"), "input_tokens": 100000}]))
    else {
        return;
    };
    let t = tree(&[("A.java", SHOP), ("B.java", SHOP), ("C.java", SHOP)]);
    let mut env = openai(&server.url());
    env[1].1 = "gpt-4o-mini,gpt-4o".into();
    // 100,000 input tokens of gpt-4o-mini: $0.015 + output; the budget is spent after one
    let o = run_ctinject(
        t.path(),
        &[
            ".",
            "--dry-run",
            "--llm",
            "--llm-jobs",
            "1",
            "--budget",
            "0.01",
            "--format",
            "json",
            "--no-cache",
        ],
        &env_refs(&env),
    );
    let r = report_ok(&o);
    assert_eq!(
        r["llm"]["not_sent"],
        json!(["B.java", "C.java"]),
        "{}",
        r["llm"]
    );
    assert_eq!(file_report(&r, "A.java")["status"], "instrumented");
    assert!(file_report(&r, "B.java")["reason"]
        .as_str()
        .unwrap()
        .contains("budget"));
    assert_eq!(server.requests().len(), 1);
    assert!(stdout(&run_ctinject(
        t.path(),
        &[
            ".",
            "--dry-run",
            "--llm",
            "--llm-jobs",
            "1",
            "--budget",
            "0.01",
            "--no-cache"
        ],
        &env_refs(&env),
    ))
    .contains("not sent (the budget was spent): B.java, C.java"));

    // no budget: the three files go to the two models in turn
    let o = run_ctinject(
        t.path(),
        &[
            ".",
            "--dry-run",
            "--llm",
            "--llm-jobs",
            "1",
            "--format",
            "json",
            "--no-cache",
        ],
        &env_refs(&env),
    );
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    let models: Vec<String> = server.requests()[2..]
        .iter()
        .map(|r| r["body"]["model"].as_str().unwrap().to_string())
        .collect();
    // A.java's plan is accepted; B's and C's name another file: refused, asked again
    assert_eq!(models.len(), 7, "{models:?}");
    assert!(
        models.windows(2).all(|w| w[0] != w[1]),
        "each request the next model: {models:?}"
    );
}

#[test]
fn anthropic_answers_through_its_forced_tool() {
    let Some(server) = server(&json!([{"status": 529}, {"plan": good_plan("Shop.java")}])) else {
        return;
    };
    let t = tree(&[("Shop.java", SHOP)]);
    let env = [
        ("LLM_PROVIDER", "anthropic".to_string()),
        ("LLM_MODEL", "claude-3-5-haiku-latest".into()),
        ("LLM_BASE_URL", server.url()),
        ("ANTHROPIC_API_KEY", "k".into()),
    ];
    let o = run_ctinject(
        t.path(),
        &[".", "--dry-run", "--llm", "--format", "json", "--no-cache"],
        &env_refs(&env),
    );
    let r = report(&o);
    assert_eq!(
        file_report(&r, "Shop.java")["status"],
        "instrumented",
        "{}",
        describe(&o)
    );
    let requests = server.requests();
    assert_eq!(requests[1]["path"], "/v1/messages");
    assert_eq!(requests[1]["headers"]["x-api-key"], "k");
    assert_eq!(requests[1]["body"]["tool_choice"]["name"], "insertion_plan");
}

#[test]
fn the_configuration_names_the_provider_and_a_compile_check_refuses_what_does_not_compile() {
    let Some(javac) = require_tool("javac") else {
        return;
    };
    // parses, but `zz` is no variable: javac refuses it
    let mut no_compile = good_plan("Shop.java");
    no_compile["inserts"][1]["text"] = json!("ctinject.CtInject.v(\"Shop.java\", 3, \"zz\", zz);");
    let Some(server) = server(&json!([{"plan": no_compile}, {"plan": good_plan("Shop.java")}]))
    else {
        return;
    };
    let config = format!(
        "llm:\n  enabled: true\n  provider: ollama\n  model: llama3.2\n  base_url: {}/v1\n  check:\n    java: \"{} -d {{root}}/classes {{file}} {{root}}/ctinject/CtInject.java\"\n",
        server.url(),
        javac.display()
    );
    let t = tree(&[("proj/Shop.java", SHOP), ("proj/.ctinject.yml", &config)]);
    let o = run_ctinject(
        t.path(),
        &["proj", "--dry-run", "--format", "json", "--no-cache"],
        &[],
    );
    let r = report_ok(&o);
    assert_eq!(
        file_report(&r, "Shop.java")["status"],
        "instrumented",
        "{r}"
    );
    assert_eq!(r["llm"]["provider"], "ollama");
    assert_eq!(r["llm"]["sent"][0]["attempts"], 2);
    assert_eq!(
        (
            r["llm"]["cost"].as_f64(),
            r["llm"]["cost_incomplete"].as_bool()
        ),
        (Some(0.0), Some(false))
    );
    // ollama: no key
    let requests = server.requests();
    assert!(requests[0]["headers"].get("authorization").is_none());
    assert_eq!(requests[0]["body"]["model"], "llama3.2");
    let second = requests[1]["body"]["messages"][1]["content"]
        .as_str()
        .unwrap();
    assert!(
        second.contains("the check command (") && second.contains("cannot find symbol"),
        "{second}"
    );
}

#[test]
fn ruby_and_php_plans_run_with_their_runtimes() {
    let rb =
        "class Shop\n  def add(a, b)\n    s = a + b\n    s\n  end\nend\nputs Shop.new.add(4, 9)\n";
    let rb_plan = json!({"inserts": [
        {"line": 2, "column": 16, "text": "; _ct_s = CtInject.span(\"shop.rb\", 2, \"Shop#add\", \"a\", a, \"b\", b); begin"},
        {"line": 4, "column": 5, "text": "CtInject.v(\"shop.rb\", 3, \"s\", s); "},
        {"line": 5, "column": 3, "text": "rescue Exception => _ct_e; _ct_s.fail(_ct_e); raise; ensure; _ct_s.finish; end; "},
    ]});
    let php = "<?php\nfunction add($a, $b) {\n    $s = $a + $b;\n    return $s;\n}\necho add(4, 9), \"\\n\";\n";
    let php_plan = json!({"inserts": [
        {"line": 2, "column": 23, "text": "$_ct_s = \\CtInject::span('shop.php', 2, 'add', ['a' => $a, 'b' => $b]); try {"},
        {"line": 3, "column": 18, "text": "\\CtInject::v('shop.php', 3, 's', $s);"},
        {"line": 5, "column": 1, "text": "} catch (\\Throwable $_ct_t) { $_ct_s->fail($_ct_t); throw $_ct_t; } finally { $_ct_s->end(); }"},
    ]});
    type Run = fn(&Path, &Path) -> std::process::Command;
    let cases: [(&str, &str, Value, &str, Run); 2] = [
        ("ruby", "shop.rb", rb_plan, rb, |out, file| {
            let mut c = std::process::Command::new("ruby");
            c.arg(format!("-r{}", out.join("ctinject.rb").display()))
                .arg(file);
            c
        }),
        ("php", "shop.php", php_plan, php, |out, file| {
            let mut c = std::process::Command::new("php");
            c.arg("-d")
                .arg(format!(
                    "auto_prepend_file={}",
                    out.join("ctinject.php").display()
                ))
                .arg(file);
            c
        }),
    ];
    for (tool, name, plan, source, command) in cases {
        if require_tool(tool).is_none() {
            continue;
        }
        let Some(server) = server(&json!([{ "plan": plan }])) else {
            return;
        };
        let t = tree(&[(&format!("proj/{name}"), source)]);
        let env = openai(&server.url());
        let o = run_ctinject(
            t.path(),
            &[
                "proj",
                "--out",
                "out",
                "--llm",
                "--format",
                "json",
                "--no-cache",
            ],
            &env_refs(&env),
        );
        let r = report(&o);
        assert_eq!(
            file_report(&r, name)["status"],
            "instrumented",
            "{}",
            describe(&o)
        );
        let out = t.path().join("out");
        let trace = t.path().join(format!("{tool}.jsonl"));
        let o = run(command(&out, &out.join(name)).env("CTINJECT_TRACE_FILE", &trace));
        assert_eq!(stdout(&o), "13\n", "{tool}: {}", describe(&o));
        let events = read_events(&trace);
        assert!(events.iter().all(|e| e["lang"] == tool), "{events:?}");
        let span = events.iter().find(|e| e["type"] == "span").expect("a span");
        assert_eq!(span["args"]["a"], "4", "{span}");
        assert!(
            events
                .iter()
                .any(|e| e["type"] == "var" && e["name"] == "s" && e["value"] == "13"),
            "{tool}: {events:?}"
        );
    }
}

const SHOP_CS: &str = "class Shop {\n    int Add(int a, int b) {\n        int s = a + b;\n        return s;\n    }\n}\n";

#[test]
fn a_language_without_a_runtime_is_planned_and_cached_but_not_inserted() {
    let plan = json!({"inserts": [
        {"line": 2, "column": 28, "text": "var _ct_s = global::CtInject.Span(\"Shop.cs\", 2, \"Shop.Add\", \"a\", a, \"b\", b); try {"},
        {"line": 3, "column": 23, "text": "global::CtInject.V(\"Shop.cs\", 3, \"s\", s);"},
        {"line": 5, "column": 5, "text": "} catch (global::System.Exception _ct_e) { _ct_s.Fail(_ct_e); throw; } finally { _ct_s.End(); }"},
    ]});
    let Some(server) = server(&json!([{"plan": plan}])) else {
        return;
    };
    // llm.languages sends C# only: the Lua file is listed, not sent or counted
    let t = tree(&[
        ("Shop.cs", SHOP_CS),
        ("shop.lua", SHOP_LUA),
        (".ctinject.yml", "llm:\n  languages: [csharp]\n"),
    ]);
    let out = tempfile::tempdir().unwrap();
    let out_arg = out.path().join("out");
    let env = openai(&server.url());
    let cache = out.path().join("cache");
    let cache_arg = ["--cache-dir", cache.to_str().unwrap()];
    let mut args = vec![".", "--llm", "--format", "json"];
    args.extend(cache_arg);
    args.extend(["--out", out_arg.to_str().unwrap()]);
    let o = run_ctinject(t.path(), &args, &env_refs(&env));
    let r = report_ok(&o);
    let shop = file_report(&r, "Shop.cs");
    // the copy builds as the original did: no call of a runtime that does not exist
    assert_eq!(
        std::fs::read_to_string(out_arg.join("Shop.cs")).unwrap(),
        SHOP_CS
    );
    assert_eq!(shop["language"], "csharp");
    assert!(
        shop["note"]
            .as_str()
            .unwrap()
            .contains("not inserted: ctinject has no csharp runtime yet"),
        "{shop}"
    );
    // the planned points are reported, as not instrumented
    assert_eq!(shop["points"]["function"]["instrumentable"], 1, "{shop}");
    assert_eq!(shop["points"]["function"]["instrumented"], 0, "{shop}");
    assert_eq!(shop["points"]["variable"]["instrumentable"], 1, "{shop}");
    let skipped = &shop["functions"][0]["skipped"][0]["reason"];
    assert_eq!(
        skipped,
        "planned, not inserted: ctinject has no csharp runtime yet"
    );
    assert_eq!(server.requests().len(), 1);
    let lua = file_report(&r, "shop.lua");
    assert!(
        lua["reason"]
            .as_str()
            .unwrap()
            .contains("llm.languages leaves it out"),
        "{lua}"
    );
    assert_eq!(lua["points"], json!({}), "{lua}");
    // kept: a second run asks nothing
    let mut args = vec![".", "--llm", "--format", "json", "--dry-run"];
    args.extend(cache_arg);
    let o = run_ctinject(t.path(), &args, &env_refs(&env));
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    assert_eq!(report(&o)["llm"]["cached"], json!(["Shop.cs"]));
    assert_eq!(
        server.requests().len(),
        1,
        "the cached plan was asked again"
    );
}

const SHOP_LUA: &str =
    "local M = {}\nfunction M.add(a, b)\n  local s = a + b\n  return s\nend\nreturn M\n";

#[test]
fn a_language_without_a_grammar_is_sent_only_with_a_check_command() {
    let span = "local _ct_s <close> = ctinject.span(\"shop.lua\", 2, \"M.add\", a, b); ";
    let var = "ctinject.v(\"shop.lua\", 3, \"s\", s); ";
    // after the `return`: forms in the right shape, but not Lua
    let after_return = json!({"inserts": [
        {"line": 2, "column": 21, "text": span},
        {"line": 5, "column": 1, "text": var},
    ]});
    let good = json!({"inserts": [
        {"line": 2, "column": 21, "text": span},
        {"line": 4, "column": 3, "text": var},
    ]});
    let Some(server) = server(&json!([{"plan": after_return}, {"plan": good}])) else {
        return;
    };
    let t = tree(&[("shop.lua", SHOP_LUA)]);
    let env = openai(&server.url());
    let args = [".", "--llm", "--dry-run", "--format", "json", "--no-cache"];
    // no check command: not sent
    let o = run_ctinject(t.path(), &args, &env_refs(&env));
    let lua = file_report(&report_ok(&o), "shop.lua").clone();
    assert_eq!(lua["status"], "skipped");
    assert!(
        lua["reason"]
            .as_str()
            .unwrap()
            .contains("no lua grammar to check a plan with: set llm.check.lua"),
        "{lua}"
    );
    assert!(server.requests().is_empty(), "sent without a check");

    let Some(luac) = require_tool("luac5.4").or_else(|| require_tool("luac")) else {
        return;
    };
    let config = format!(
        "llm:\n  check:\n    lua: \"{} -p {{file}}\"\n",
        luac.display()
    );
    std::fs::write(t.path().join(".ctinject.yml"), config).unwrap();
    let o = run_ctinject(t.path(), &args, &env_refs(&env));
    let r = report_ok(&o);
    assert_eq!(r["llm"]["sent"][0]["attempts"], 2, "{r}");
    assert_eq!(r["llm"]["sent"][0]["accepted"], true, "{r}");
    let lua = file_report(&r, "shop.lua");
    assert_eq!(lua["points"]["function"]["instrumentable"], 1, "{lua}");
    let second = server.requests()[1]["body"]["messages"][1]["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        second.contains("the check command (") && second.contains("'end' expected"),
        "{second}"
    );
}

/// With `--to` the changed files come from a commit, which the fallback
/// (reading the disk) cannot plan: they used to vanish from the report.
#[test]
fn with_to_changed_fallback_files_are_listed_with_why() {
    let r = git_repo(&[("app.py", "def f(x):\n    return x\n")]);
    let p = r.path();
    git(p, &["checkout", "-q", "-b", "feature"]);
    std::fs::write(p.join("Shop.java"), SHOP).unwrap();
    git(p, &["add", "-A"]);
    git(p, &["commit", "-q", "-m", "shop"]);
    git(p, &["checkout", "-q", "main"]);
    let args = [
        "--since",
        "main",
        "--to",
        "feature",
        "--dry-run",
        "--format",
        "json",
    ];
    let o = run_ctinject(p, &args, &[]);
    let shop = file_report(&report_ok(&o), "Shop.java").clone();
    let reason = shop["reason"].as_str().unwrap();
    assert!(
        reason.contains("--to feature: the language-model fallback reads files from the disk"),
        "{reason}"
    );
    assert_eq!(shop["points"], json!({}), "without --llm: not counted");
    // asked for, it counts as not instrumented
    let Some(server) = server(&json!([{"plan": good_plan("Shop.java")}])) else {
        return;
    };
    let env = openai(&server.url());
    let mut with_llm = args.to_vec();
    with_llm.push("--llm");
    let o = run_ctinject(p, &with_llm, &env_refs(&env));
    let shop = file_report(&report_ok(&o), "Shop.java").clone();
    assert_eq!(shop["points"]["function"]["instrumentable"], 1, "{shop}");
    assert!(server.requests().is_empty(), "sent with --to");
}
