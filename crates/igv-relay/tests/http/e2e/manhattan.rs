//! The Manhattan plot of a GWAS page in a real headless Chromium (issue 25):
//! at 1,400 and 400 px it is drawn with one point per associated stretch and
//! the page does not scroll sideways (the plot scrolls in its own box on a
//! phone); screenshots go to the e2e artifacts directory (`manhattan-*.png`).
//! Clicking a point moves the real IGV to the point's stretch.

use fantoccini::Locator;
use serde_json::Value;

use super::Rig;
use crate::support::procs;

/// `[plot width, plot height, points, page overflow]`.
const BOXES: &str = "var svg = document.querySelector('figure.manhattan svg');\
    var box = svg.getBoundingClientRect();\
    return [box.width, box.height, svg.querySelectorAll('a.point').length,\
            document.documentElement.scrollWidth - document.documentElement.clientWidth];";

#[actix_web::test]
async fn the_manhattan_plot_renders_at_both_widths_and_its_points_move_igv() {
    let Some(rig) = Rig::start(|_, _| {}).await else {
        return;
    };
    let client = rig.browser.client().clone();
    rig.browser
        .goto(&rig.page("assoc.gwas"))
        .await
        .expect("open the GWAS page");
    for width in [1400u32, 400] {
        client.set_window_size(width, 1000).await.expect("resize");
        let value: Value = client.execute(BOXES, vec![]).await.expect("measure");
        let numbers: Vec<f64> = value
            .as_array()
            .expect("numbers")
            .iter()
            .map(|v| v.as_f64().unwrap_or(-1.0))
            .collect();
        let [plot_width, plot_height, points, overflow] = numbers[..] else {
            panic!("four numbers: {numbers:?}")
        };
        assert!(
            plot_width >= 300.0,
            "{width} px: the plot is {plot_width} px wide"
        );
        assert!(
            plot_height >= 100.0,
            "{width} px: the plot is {plot_height} px high"
        );
        assert_eq!(points, 3.0, "{width} px: one point per associated stretch");
        assert!(
            overflow <= 1.0,
            "{width} px: the page scrolls sideways by {overflow} px"
        );
        let png = client.screenshot().await.expect("a screenshot");
        let path = procs::artifacts_dir().join(format!("manhattan-{width}.png"));
        std::fs::write(&path, png).expect("save the screenshot");
        eprintln!("screenshot: {}", path.display());
    }
    client.set_window_size(1400, 1000).await.expect("resize");
    // The strongest association's point (chr1:3000, P = 2e-9) relays its stretch.
    let points = client
        .find_all(Locator::Css("figure.manhattan a.point"))
        .await
        .expect("points");
    let mut loci = Vec::new();
    for point in &points {
        let href = point.attr("href").await.expect("href").expect("a link");
        let locus = url::Url::parse(&href)
            .expect("an absolute link")
            .query_pairs()
            .find(|(k, _)| k == "locus")
            .map(|(_, v)| v.into_owned())
            .expect("a locus");
        loci.push(locus);
    }
    let first = loci
        .iter()
        .position(|l| l.starts_with("chr1:"))
        .unwrap_or_else(|| panic!("no point on chr1: {loci:?}"));
    let (start, end) = loci[first]["chr1:".len()..]
        .split_once('-')
        .map(|(s, e)| (s.parse::<u64>().unwrap(), e.parse::<u64>().unwrap()))
        .expect("a stretch");
    assert!(start <= 3000 && 3000 <= end, "{}", loci[first]);
    let expected = loci[first].clone();
    rig.click_and_expect("figure.manhattan a.point", first, &expected)
        .await;
    rig.finish().await;
}
