//! Black-box tests of the relay: the real service on a random port.

use std::collections::BTreeMap;

use crate::support::app::{assert_redirects_to, spawn_app, spawn_app_with};
use igv_relay::configuration::GenomeSettings;

fn enc(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[actix_web::test]
async fn goto_redirects_to_loopback_igv_with_the_exact_locus() {
    let app = spawn_app().await;
    let r = app.get("/igv/goto?locus=chr7:140453136-140453236").await;
    assert_redirects_to(
        &r,
        "http://127.0.0.1:60151/goto?locus=chr7:140453136-140453236",
    );
    assert_eq!(r.headers()["referrer-policy"], "no-referrer");
}

#[actix_web::test]
async fn thousands_commas_are_removed_before_igv_sees_them() {
    let app = spawn_app().await;
    let r = app
        .get(&format!(
            "/igv/goto?locus={}",
            enc("chr7:140,453,036-140,453,236")
        ))
        .await;
    assert_redirects_to(
        &r,
        "http://127.0.0.1:60151/goto?locus=chr7:140453036-140453236",
    );
}

#[actix_web::test]
async fn several_loci_are_joined_with_percent_20() {
    let app = spawn_app().await;
    let r = app
        .get(&format!(
            "/igv/goto?locus={}",
            enc("chr1:100-200 chr2:300-400")
        ))
        .await;
    assert_redirects_to(
        &r,
        "http://127.0.0.1:60151/goto?locus=chr1:100-200%20chr2:300-400",
    );
}

#[actix_web::test]
async fn ensembl_aliases_become_the_genome_names_under_a_genome() {
    let app = spawn_app().await;
    let r = app
        .get("/igv/goto?locus=7:140453136-140453236&genome=hg38")
        .await;
    // With a genome the jump carries it (`/load` with an empty file list).
    assert_redirects_to(
        &r,
        "http://127.0.0.1:60151/load?genome=hg38&file=&locus=chr7:140453136-140453236",
    );
    let r = app.get("/igv/goto?locus=MT:100-200&genome=hg38").await;
    assert_redirects_to(
        &r,
        "http://127.0.0.1:60151/load?genome=hg38&file=&locus=chrM:100-200",
    );
}

#[actix_web::test]
async fn an_end_past_the_chromosome_is_clamped_to_its_length() {
    let app = spawn_app().await;
    let r = app
        .get("/igv/goto?locus=chrM:16000-99999&genome=hg38")
        .await;
    assert_redirects_to(
        &r,
        "http://127.0.0.1:60151/load?genome=hg38&file=&locus=chrM:16000-16569",
    );
}

#[actix_web::test]
async fn configured_genomes_and_aliases_are_used() {
    let app = spawn_app_with(|s| {
        s.genomes.insert(
            "tiny".into(),
            GenomeSettings {
                chromosomes: BTreeMap::from([("chr1".into(), 50_000), ("chr2".into(), 20_000)]),
                aliases: BTreeMap::from([("first".into(), "chr1".into())]),
                igv_genome: Some("/data/tiny.fa".into()),
                ..GenomeSettings::default()
            },
        );
    })
    .await;
    let r = app.get("/igv/goto?locus=first:10-20&genome=tiny").await;
    // IGV gets the table's `igv_genome`, never the relay's own id.
    assert_redirects_to(
        &r,
        "http://127.0.0.1:60151/load?genome=%2Fdata%2Ftiny.fa&file=&locus=chr1:10-20",
    );
}

#[actix_web::test]
async fn load_with_index_name_genome_and_locus() {
    let app =
        spawn_app_with(|s| s.relay.allowed_file_hosts = vec!["data.lab.example".into()]).await;
    let query = format!(
        "/igv/load?file={}&index={}&name={}&genome=hg38&locus={}&format=bam&merge=true",
        enc("https://data.lab.example/runs/s1.bam"),
        enc("https://data.lab.example/runs/s1.bam.bai"),
        enc("Sample 1, tumour"),
        enc("chr7:140,453,136-140,453,236"),
    );
    let r = app.get(&query).await;
    assert_redirects_to(
        &r,
        "http://127.0.0.1:60151/load?file=https:%2F%2Fdata.lab.example%2Fruns%2Fs1.bam\
         &index=https:%2F%2Fdata.lab.example%2Fruns%2Fs1.bam.bai&genome=hg38\
         &locus=chr7:140453136-140453236&name=Sample%201%3B%20tumour&format=bam&merge=true",
    );
}

#[actix_web::test]
async fn files_from_the_service_itself_are_always_allowed() {
    let app = spawn_app().await;
    let file = app.url("/raw/demo/variants.vcf");
    let r = app.get(&format!("/igv/load?file={}", enc(&file))).await;
    assert_eq!(r.status().as_u16(), 303);
}

#[actix_web::test]
async fn hostile_and_invalid_inputs_get_400_and_no_location() {
    let app = spawn_app_with(|s| {
        s.relay.allowed_file_hosts = vec!["allowed".into()];
        s.relay.max_loci = 3;
    })
    .await;
    let cases: &[(&str, &str)] = &[
        ("locus=chr1%zz", "locus"),
        ("locus=chr1%", "locus"),
        ("locus=KRAS:G1%2C2C", "locus"),
        ("locus=chr1:-5", "locus"),
        ("locus=chr1:0-10", "locus"),
        ("locus=chr1:200-100", "locus"),
        ("locus=chr1:1-99999999999", "locus"),
        ("locus=chrZZ:1-100&genome=hg38", "locus"),
        ("locus=chr1:300000000&genome=hg38", "locus"),
        ("locus=%3Cscript%3Ealert(1)%3C%2Fscript%3E", "locus"),
        (
            "locus=chr1:1-2%0D%0ALocation:%20http://evil.example",
            "locus",
        ),
        ("locus=", "locus"),
        ("locus=chr1+chr2+chr3+chr4", "locus"),
        ("locus=BRCA1", "locus"),
        ("locus=chr1:1-100&genome=nonexistent", "genome"),
        ("locus=chr1:1-100&port=80", "port"),
        ("locus=chr1:1-100&port=70000", "port"),
    ];
    for (query, param) in cases {
        let r = app.get_json(&format!("/igv/goto?{query}")).await;
        assert_eq!(r.status().as_u16(), 400, "{query}");
        assert!(r.headers().get("location").is_none(), "{query}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["parameter"], *param, "{query}: {body}");
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{query}"
        );
    }
    let missing = app.get_json("/igv/goto").await;
    assert_eq!(missing.status().as_u16(), 400);
    assert_eq!(
        missing.json::<serde_json::Value>().await.unwrap()["error"],
        "missing_parameter"
    );

    let files = [
        "file=file:///etc/passwd",
        "file=http://not-allowed.example/x.bam",
        "file=http://user:pw@allowed/x",
        "file=gopher://allowed/x",
    ];
    for query in files {
        let r = app.get_json(&format!("/igv/load?{query}")).await;
        assert_eq!(r.status().as_u16(), 400, "{query}");
        assert!(r.headers().get("location").is_none(), "{query}");
        assert_eq!(
            r.json::<serde_json::Value>().await.unwrap()["parameter"],
            "file",
            "{query}"
        );
    }
}

#[actix_web::test]
async fn errors_are_html_pages_for_browsers_with_the_value_escaped() {
    let app = spawn_app().await;
    let r = app
        .get("/igv/goto?locus=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
        .await;
    assert_eq!(r.status().as_u16(), 400);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let body = r.text().await.unwrap();
    assert!(
        !body.contains("<script>alert"),
        "unescaped input in the error page"
    );
    assert!(body.contains("&#60;script&#62;alert(1)") || body.contains("&lt;script&gt;alert(1)"));
    assert!(body.contains("locus"));
}

#[actix_web::test]
async fn only_get_and_head_are_relayed() {
    let app = spawn_app().await;
    for method in [
        reqwest::Method::POST,
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
    ] {
        let r = app
            .client
            .request(method.clone(), app.url("/igv/goto?locus=chr1:1-100"))
            .body("goto chr1:5001-6000\n")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 405, "{method}");
        assert!(r.headers().get("location").is_none());
        assert_eq!(r.headers()["allow"], "GET, HEAD");
    }
    let head = app
        .client
        .head(app.url("/igv/goto?locus=chr1:1-100"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status().as_u16(), 303);
}

#[actix_web::test]
async fn the_location_host_never_comes_from_the_request() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(app.url("/igv/goto?locus=chr1:1-100&host=evil.example"))
        .header("Host", "evil.example")
        .header("X-Forwarded-Host", "evil.example")
        .header("Forwarded", "host=evil.example")
        .send()
        .await
        .unwrap();
    assert_redirects_to(&r, "http://127.0.0.1:60151/goto?locus=chr1:1-100");
    // A path that a naive join would turn into a scheme-relative URL.
    let r = app.get("//evil.example/igv/goto?locus=chr1:1-100").await;
    if let Some(location) = r.headers().get("location") {
        assert!(
            location
                .to_str()
                .unwrap()
                .starts_with("http://127.0.0.1:60151/")
        );
    }
}

#[actix_web::test]
async fn the_user_port_comes_from_the_query_or_the_cookie() {
    let app = spawn_app().await;
    let r = app.get("/igv/goto?locus=chr1:1-100&port=60200").await;
    assert_redirects_to(&r, "http://127.0.0.1:60200/goto?locus=chr1:1-100");
    let r = app
        .client
        .get(app.url("/igv/goto?locus=chr1:1-100"))
        .header("Cookie", "igv_port=60300")
        .send()
        .await
        .unwrap();
    assert_redirects_to(&r, "http://127.0.0.1:60300/goto?locus=chr1:1-100");
    let r = app
        .client
        .get(app.url("/igv/goto?locus=chr1:1-100"))
        .header("Cookie", "igv_port=22")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
}

#[actix_web::test]
async fn the_settings_page_stores_the_port_in_a_cookie() {
    let app = spawn_app().await;
    let r = app
        .client
        .post(app.url("/settings"))
        .form(&[("port", "60222")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let cookie = r.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("igv_port=60222"), "{cookie}");
    let bad = app
        .client
        .post(app.url("/settings"))
        .form(&[("port", "80")])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);
    assert!(bad.headers().get("set-cookie").is_none());
}

#[actix_web::test]
async fn the_landing_page_says_what_is_sent_and_sends_only_on_a_click() {
    let app = spawn_app().await;
    let r = app
        .get(&format!(
            "/igv/goto?locus={}&landing=1",
            enc("chr7:140,453,036-140,453,236")
        ))
        .await;
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.headers().get("location").is_none());
    let body = r.text().await.unwrap();
    assert!(body.contains("Go to chr7:140,453,036-140,453,236 in IGV"));
    // Its "Send to IGV" goes to the relay itself (which answers the 303),
    // never straight to IGV (see relay::direct_relay_url), as a top-level
    // link; nothing is sent by itself (issue 22).
    let send = format!(
        r#"<a class="igv-send igv-send-main" href="{}" target="_top">Send to IGV</a>"#,
        app.url("/igv/goto?locus=chr7%3A140%2C453%2C036-140%2C453%2C236")
    );
    assert!(body.contains(&send), "{body}");
    assert!(!body.contains("http-equiv"), "{body}");
    assert!(!body.contains("Sending"), "{body}");
    assert!(body.contains("http://127.0.0.1:60151/goto?locus=chr7:140453036-140453236"));
    assert!(!body.contains(r#"href="http://127.0.0.1:60151"#));
    assert!(body.contains("Enable port"));
}

#[actix_web::test]
async fn duplicate_parameters_are_refused() {
    let app = spawn_app().await;
    let r = app
        .get_json("/igv/goto?locus=chr1:1-2&locus=chrZZ:1-2")
        .await;
    assert_eq!(r.status().as_u16(), 400);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["error"],
        "duplicate_parameter"
    );
}

#[actix_web::test]
async fn the_start_page_turns_pasted_loci_into_links_and_explains_bad_lines() {
    let app = spawn_app().await;
    let loci = enc("chr7:140,753,336-140,753,436\nKRAS:G12C\n1:100-200");
    let r = app.get(&format!("/?loci={loci}&genome=hg38")).await;
    assert_eq!(r.status().as_u16(), 200);
    let body = r.text().await.unwrap();
    assert!(
        body.contains(r#"data-locus="chr7:140,753,336-140,753,436""#),
        "{body}"
    );
    assert!(body.contains(r#"data-locus="chr1:100-200""#));
    assert!(body.contains("mutation notation"));
    assert!(body.contains("igv/goto?locus=chr7%3A140753336-140753436&#38;genome=hg38"));
}

#[actix_web::test]
async fn health_and_readiness() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz").await.status().as_u16(), 200);
    let ready: serde_json::Value = app.get("/readyz").await.json().await.unwrap();
    assert!(
        ready["genomes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g == "hg38")
    );
}

#[actix_web::test]
async fn another_site_cannot_change_the_users_igv_port() {
    let app = spawn_app().await;
    let r = app
        .client
        .post(app.url("/settings"))
        .header("Sec-Fetch-Site", "cross-site")
        .form(&[("port", "60222")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert!(r.headers().get("set-cookie").is_none());
}

// Issue 14: the connection check, view commands, genome-safe jumps, help.

#[actix_web::test]
async fn check_redirects_to_one_fixed_harmless_igv_request_on_the_users_port() {
    let app = spawn_app().await;
    let r = app.get("/igv/check").await;
    assert_redirects_to(
        &r,
        "http://127.0.0.1:60151/execute?command=echo%20IGV-is-listening",
    );
    let r = app.get("/igv/check?port=60152").await;
    assert_redirects_to(
        &r,
        "http://127.0.0.1:60152/execute?command=echo%20IGV-is-listening",
    );
    let r = app
        .client
        .get(app.url("/igv/check"))
        .header("Cookie", "igv_port=80")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert!(r.headers().get("location").is_none());
    assert!(r.text().await.unwrap().contains("igv_port cookie"));
    let r = app.client.post(app.url("/igv/check")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 405);
}

#[actix_web::test]
async fn view_commands_are_built_from_the_closed_set() {
    let app = spawn_app().await;
    for (query, command) in [
        (
            "command=sort&by=base&locus=7:140753336&genome=hg38",
            "sort%20base%20chr7:140753336",
        ),
        (
            "command=sort&by=tag&tag=HP&locus=chr1:1,000",
            "sort%20tag%20HP%20chr1:1000",
        ),
        ("command=group&by=readGroup", "group%20READ_GROUP"),
        ("command=group&by=tag&tag=XS", "group%20TAG%20XS"),
        (
            "command=color&by=unexpectedPair",
            "colorBy%20UNEXPECTED_PAIR",
        ),
        ("command=color&by=tag&tag=HP", "colorBy%20TAG%20HP"),
        ("command=collapse", "collapse"),
        ("command=expand", "expand"),
        ("command=squish", "squish"),
        ("command=pairs&on=true", "viewaspairs%20true"),
        ("command=pairs&on=false", "viewaspairs%20false"),
    ] {
        let r = app.get(&format!("/igv/view?{query}")).await;
        assert_redirects_to(
            &r,
            &format!("http://127.0.0.1:60151/execute?command={command}"),
        );
    }
}

#[actix_web::test]
async fn anything_outside_the_view_set_is_a_400_naming_the_allowed_values() {
    let app = spawn_app().await;
    for (query, param, allowed) in [
        ("command=exit", "command", "collapse"),
        ("command=saveSession", "command", "pairs"),
        (
            "command=color&by=BASE_MODIFICATION_2COLOR",
            "by",
            "readStrand",
        ),
        ("command=group&by=chimeric", "by", "mateChromosome"),
        (
            "command=sort&by=nucleotide&locus=chr1:5",
            "by",
            "insertSize",
        ),
        (
            "command=sort&by=tag&tag=H%25&locus=chr1:5",
            "tag",
            "two characters",
        ),
        (
            "command=sort&by=tag&tag=HPX&locus=chr1:5",
            "tag",
            "two characters",
        ),
        ("command=sort&by=base&locus=chr1:5-10", "locus", "one base"),
        (
            "command=sort&by=base&locus=chr1:5%20chr2:6",
            "locus",
            "one position",
        ),
        (
            "command=sort&by=base&locus=HLA-A*01:5",
            "locus",
            "cannot be sent",
        ),
        ("command=group&by=strand&tag=HP", "tag", "by=tag"),
        ("command=pairs&on=maybe", "on", "true or false"),
        ("command=sort&by=base", "locus", "locus"),
    ] {
        let r = app.get_json(&format!("/igv/view?{query}")).await;
        assert_eq!(r.status().as_u16(), 400, "{query}");
        assert!(r.headers().get("location").is_none(), "{query}");
        let body: serde_json::Value = r.json().await.unwrap();
        let message = body["message"].as_str().unwrap_or_default();
        assert!(
            body["parameter"] == param || message.contains(param),
            "{query}: {body}"
        );
        assert!(message.contains(allowed), "{query}: {body}");
    }
}

#[actix_web::test]
async fn load_can_sort_the_reads_at_the_locus() {
    let app =
        spawn_app_with(|s| s.relay.allowed_file_hosts = vec!["data.lab.example".into()]).await;
    let bam = enc("https://data.lab.example/s1.bam");
    let r = app
        .get(&format!("/igv/load?file={bam}&locus=chr1:3000&sort=base"))
        .await;
    assert_redirects_to(
        &r,
        "http://127.0.0.1:60151/load?file=https:%2F%2Fdata.lab.example%2Fs1.bam&locus=chr1:3000&sort=base",
    );
    let r = app
        .get(&format!(
            "/igv/load?file={bam}&locus=chr1:3000&sort=tag&sortTag=HP"
        ))
        .await;
    assert_redirects_to(
        &r,
        "http://127.0.0.1:60151/load?file=https:%2F%2Fdata.lab.example%2Fs1.bam&locus=chr1:3000&sort=tag&sortTag=HP",
    );
    for bad in ["sort=best&locus=chr1:3000", "sort=base"] {
        let r = app.get(&format!("/igv/load?file={bam}&{bad}")).await;
        assert_eq!(r.status().as_u16(), 400, "{bad}");
    }
}

#[actix_web::test]
async fn the_landing_page_names_the_genome_and_is_the_same_however_it_is_reached() {
    let app = spawn_app().await;
    let path = "/igv/goto?locus=chr7:140753336&genome=hg38&landing=1";
    // Opened by a click, and again from history (no Sec-Fetch-User): the
    // same page, which never sends by itself.
    let mut seen = Vec::new();
    for user in [Some("?1"), None] {
        let mut request = app
            .client
            .get(app.url(path))
            .header("Sec-Fetch-Mode", "navigate");
        if let Some(user) = user {
            request = request.header("Sec-Fetch-User", user);
        }
        let page = request.send().await.unwrap().text().await.unwrap();
        assert!(
            page.contains("Go to chr7:140,753,336 on hg38 in IGV"),
            "{page}"
        );
        assert!(!page.contains("http-equiv"), "{page}");
        // It shows what IGV gets: the genome with the jump.
        assert!(page.contains("/load?genome=hg38&"), "{page}");
        assert!(page.contains("locus=chr7:140753336</code>"), "{page}");
        for text in [
            "Nothing happened in IGV?",
            "Send to IGV",
            "send it again",
            "igv/check",
        ] {
            assert!(page.contains(text), "{text}: {page}");
        }
        seen.push(page);
    }
    assert_eq!(seen[0], seen[1]);
}

#[actix_web::test]
async fn every_page_offers_the_connection_check_as_a_top_level_link() {
    let app = spawn_app().await;
    let check = format!(r#"href="{}/igv/check""#, app.address);
    for path in [
        "/",
        "/settings",
        "/files/",
        "/embed?loci=chr1:1-2",
        "/igv/goto?locus=chr1:1-2&landing=1",
    ] {
        let body = app.get(path).await.text().await.unwrap();
        let link = body
            .split("<a ")
            .find(|a| a.contains(&check))
            .unwrap_or_else(|| panic!("{path}: no link to /igv/check"));
        assert!(link.contains(r#"target="_top""#), "{path}: {link}");
        assert!(!link.contains("rel="), "{path}: {link}");
        assert!(body.contains("Test connection to IGV"), "{path}");
    }
}
