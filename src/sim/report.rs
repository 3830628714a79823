//! The report folder's contents: metrics as CSV and JSON and an SVG chart,
//! as bytes the host writes. Nothing here depends on the clock, so the same
//! scenario and seed give byte-identical files.

use core::fmt::Write as _;

use super::ScenarioParams;
use super::compare::Comparison;
use super::metrics::RunMetrics;

/// One file of a report: its name within the report folder and its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReportFile {
    /// File name (no directories).
    pub name: &'static str,
    /// Contents (UTF-8).
    pub contents: String,
}

/// The report format tag written in `metrics.json`.
pub const REPORT_FORMAT: &str = "omniroute.sim-report/1";

/// Writes `s` as a JSON string.
pub(crate) fn json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// XML text escaping for the SVG.
fn xml(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The columns of `metrics.csv` and of the printed table, in order.
pub const COLUMNS: [&str; 26] = [
    "strategy",
    "orders",
    "cancelled",
    "units_ordered",
    "units_filled",
    "fill_rate",
    "units_unfilled",
    "split_rate",
    "shipments_per_order",
    "cost_total",
    "cost_per_order",
    "fulfilment_cost_per_order",
    "penalty_total",
    "promise_attainment",
    "route_errors",
    "returns_requested",
    "returns_accepted",
    "returns_kept",
    "units_returned",
    "refunds",
    "value_recovered",
    "static_cost_per_order",
    "static_gap_vs_optimal_pct",
    "static_orders_worse",
    "static_max_gap",
    "units_on_hand_at_end",
];

fn row(r: &super::StrategyResult) -> [String; 26] {
    let m: &RunMetrics = &r.metrics;
    let g = &r.static_gap;
    [
        r.name.clone(),
        m.orders.to_string(),
        m.orders_cancelled.to_string(),
        m.units_ordered.to_string(),
        m.units_filled.to_string(),
        format!("{:.4}", m.fill_rate()),
        m.units_unfilled.to_string(),
        format!("{:.4}", m.split_rate()),
        format!("{:.4}", m.shipments_per_order()),
        m.cost.to_string(),
        m.cost_per_order().to_string(),
        m.fulfilment_cost_per_order().to_string(),
        m.penalty_cost.to_string(),
        format!("{:.4}", m.promise_attainment()),
        m.route_errors.to_string(),
        m.returns_requested.to_string(),
        m.returns_accepted.to_string(),
        m.returns_kept.to_string(),
        m.units_returned.to_string(),
        m.refunds.to_string(),
        m.value_recovered.to_string(),
        g.cost_per_order().to_string(),
        format!("{:.3}", g.gap_pct()),
        g.orders_worse.to_string(),
        g.max_gap.to_string(),
        r.units_on_hand_at_end.to_string(),
    ]
}

fn params_json(out: &mut String, p: &ScenarioParams) {
    let _ = write!(
        out,
        "{{\"seed\":{},\"orders\":{},\"days\":{},\"warehouses\":{},\"stores\":{},\"dark_stores\":{},\"vendors\":{},\
         \"zones\":{},\"skus\":{},\"zipf_exponent_centi\":{},\"categories\":{},\"hazmat_bp\":{},\"bulky_bp\":{},\
         \"drop_ship_bp\":{},\"single_line_bp\":{},\"max_lines\":{},\"pickup_bp\":{},\"same_day_bp\":{},\
         \"ship_complete_bp\":{},\"express_bp\":{},\"cancel_bp\":{},\"return_bp\":{},\"cover_days\":{},\
         \"lead_days\":{},\"unfilled_unit_penalty\":\"{}\"}}",
        p.seed,
        p.orders,
        p.days,
        p.warehouses,
        p.stores,
        p.dark_stores,
        p.vendors,
        p.zones,
        p.skus,
        p.zipf_exponent_centi,
        p.categories,
        p.hazmat_bp,
        p.bulky_bp,
        p.drop_ship_bp,
        p.single_line_bp,
        p.max_lines,
        p.pickup_bp,
        p.same_day_bp,
        p.ship_complete_bp,
        p.express_bp,
        p.cancel_bp,
        p.return_bp,
        p.cover_days,
        p.lead_days,
        p.unfilled_unit_penalty
    );
}

/// Whether a column is written as a JSON string (money and names) or a number.
fn quoted(col: &str) -> bool {
    matches!(
        col,
        "strategy"
            | "cost_total"
            | "cost_per_order"
            | "fulfilment_cost_per_order"
            | "penalty_total"
            | "refunds"
            | "value_recovered"
            | "static_cost_per_order"
            | "static_max_gap"
    )
}

impl Comparison {
    /// The table of results: a header of [`COLUMNS`] and a row per strategy,
    /// as strings (money exact, rates to 4 decimals).
    ///
    /// ```
    /// use omniroute::sim::*;
    /// let s = Scenario::generate(&ScenarioParams::new().orders(20).skus(60).stores(2))?;
    /// let c = compare(&s, &[SimStrategy::by_name("optimal")?], &SimOptions::new(), &mut NoObserver)?;
    /// let t = c.table();
    /// assert_eq!(t[0][0], "strategy");
    /// assert_eq!(t[1][0], "optimal");
    /// # Ok::<(), omniroute::sim::SimError>(())
    /// ```
    #[must_use]
    pub fn table(&self) -> Vec<Vec<String>> {
        let mut t = vec![COLUMNS.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>()];
        t.extend(self.results.iter().map(|r| row(r).to_vec()));
        t
    }

    /// `metrics.csv`: [`COLUMNS`], a row per strategy.
    #[must_use]
    pub fn metrics_csv(&self) -> String {
        let mut out = String::new();
        for r in self.table() {
            out.push_str(&r.join(","));
            out.push('\n');
        }
        out
    }

    /// `metrics.json`: the format tag, the fulfiller, the scenario's parameters and a
    /// record per strategy with the [`COLUMNS`] as keys.
    #[must_use]
    pub fn metrics_json(&self) -> String {
        let mut out = String::new();
        let _ = write!(
            out,
            "{{\n  \"format\": \"{REPORT_FORMAT}\",\n  \"fulfiller\": \"{}\",\n  \"scenario\": ",
            self.fulfiller.name()
        );
        params_json(&mut out, &self.params);
        out.push_str(",\n  \"strategies\": [");
        for (i, r) in self.results.iter().enumerate() {
            out.push_str(if i == 0 { "\n    {" } else { ",\n    {" });
            for (j, (col, v)) in COLUMNS.iter().zip(row(r)).enumerate() {
                if j > 0 {
                    out.push_str(", ");
                }
                let _ = write!(out, "\"{col}\": ");
                if quoted(col) {
                    json_str(&mut out, &v);
                } else {
                    out.push_str(&v);
                }
            }
            out.push('}');
        }
        out.push_str("\n  ]\n}\n");
        out
    }

    /// `chart.svg`: cost per order against split rate, a labelled point
    /// per strategy, drawn by hand (no plotting crate).
    #[must_use]
    #[allow(clippy::float_arithmetic, clippy::cast_precision_loss)]
    pub fn chart_svg(&self) -> String {
        const W: f64 = 760.0;
        const H: f64 = 480.0;
        const L: f64 = 80.0;
        const R: f64 = 200.0;
        const T: f64 = 50.0;
        const B: f64 = 60.0;
        const PALETTE: [&str; 8] =
            ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666"];
        let pts: Vec<(String, f64, f64)> = self
            .results
            .iter()
            .map(|r| {
                let cost = r.metrics.cost_per_order().get().to_string().parse::<f64>().unwrap_or(0.0);
                (r.name.clone(), r.metrics.split_rate() * 100.0, cost)
            })
            .collect();
        let xmax = pts.iter().map(|p| p.1).fold(1.0_f64, f64::max) * 1.15;
        let (ymin0, ymax0) =
            pts.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(p.2), b.max(p.2)));
        let (ymin0, ymax0) = if ymin0.is_finite() { (ymin0, ymax0) } else { (0.0, 1.0) };
        let pad = ((ymax0 - ymin0) * 0.15).max(0.5);
        let (ymin, ymax) = ((ymin0 - pad).max(0.0), ymax0 + pad);
        let px = |x: f64| L + (x / xmax) * (W - L - R);
        let py = |y: f64| H - B - ((y - ymin) / (ymax - ymin)) * (H - T - B);
        let mut s = String::new();
        let _ = writeln!(
            s,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" font-family=\"sans-serif\" font-size=\"12\">"
        );
        let _ = writeln!(s, "<rect width=\"{W}\" height=\"{H}\" fill=\"white\"/>");
        let _ = writeln!(
            s,
            "<text x=\"{}\" y=\"28\" font-size=\"15\" text-anchor=\"middle\">Cost per order against split rate (seed {}, {} orders)</text>",
            (W - R + L) / 2.0,
            self.params.seed,
            self.params.orders
        );
        // Grid, then axes over it.
        for k in 0..=5 {
            let fx = xmax * f64::from(k) / 5.0;
            let fy = ymin + (ymax - ymin) * f64::from(k) / 5.0;
            let (x, y) = (px(fx), py(fy));
            let _ = writeln!(
                s,
                "<line x1=\"{x:.1}\" y1=\"{T}\" x2=\"{x:.1}\" y2=\"{0}\" stroke=\"#eee\"/><text x=\"{x:.1}\" y=\"{1}\" text-anchor=\"middle\">{fx:.1}%</text>",
                H - B,
                H - B + 18.0
            );
            let _ = writeln!(
                s,
                "<line x1=\"{L}\" y1=\"{y:.1}\" x2=\"{0}\" y2=\"{y:.1}\" stroke=\"#eee\"/><text x=\"{1}\" y=\"{2:.1}\" text-anchor=\"end\">{fy:.2}</text>",
                W - R,
                L - 6.0,
                y + 4.0
            );
        }
        let _ = writeln!(
            s,
            "<line x1=\"{L}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" stroke=\"black\"/><line x1=\"{L}\" y1=\"{T}\" x2=\"{L}\" y2=\"{0}\" stroke=\"black\"/>",
            H - B,
            W - R
        );
        let _ = writeln!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">split rate (orders with more than one shipment)</text>",
            (W - R + L) / 2.0,
            H - 18.0
        );
        let _ = writeln!(
            s,
            "<text x=\"18\" y=\"{0}\" text-anchor=\"middle\" transform=\"rotate(-90 18 {0})\">cost per order (incl. unfilled-unit penalty)</text>",
            (H - B + T) / 2.0
        );
        for (i, (name, x, y)) in pts.iter().enumerate() {
            let c = PALETTE.get(i.checked_rem(PALETTE.len()).unwrap_or(0)).copied().unwrap_or("black");
            let (cx, cy) = (px(*x), py(*y));
            let _ = writeln!(
                s,
                "<circle cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"6\" fill=\"{c}\"><title>{}: split {x:.2}%, cost {y:.4}</title></circle>",
                xml(name)
            );
            // Legend on the right keeps labels from overlapping.
            let ly = T + 20.0 * (i as f64) + 10.0;
            let _ = writeln!(
                s,
                "<circle cx=\"{0}\" cy=\"{ly:.1}\" r=\"5\" fill=\"{c}\"/><text x=\"{1}\" y=\"{2:.1}\">{3} ({x:.1}%, {y:.2})</text>",
                W - R + 20.0,
                W - R + 30.0,
                ly + 4.0,
                xml(name)
            );
        }
        s.push_str("</svg>\n");
        s
    }

    /// Every file of the report: `metrics.csv`, `metrics.json`,
    /// `chart.svg`. They depend only on the scenario and the strategies, so
    /// two runs with the same seed give byte-identical files. Wall-clock
    /// figures (latency, throughput) are not part of them: the example
    /// writes those to a separate `timing.json`.
    ///
    /// ```
    /// use omniroute::sim::*;
    /// let s = Scenario::generate(&ScenarioParams::new().orders(20).skus(60).stores(2))?;
    /// let c = compare(&s, &[SimStrategy::by_name("nearest")?], &SimOptions::new(), &mut NoObserver)?;
    /// let names: Vec<_> = c.report_files().iter().map(|f| f.name).collect();
    /// assert_eq!(names, ["metrics.csv", "metrics.json", "chart.svg"]);
    /// # Ok::<(), omniroute::sim::SimError>(())
    /// ```
    #[must_use]
    pub fn report_files(&self) -> Vec<ReportFile> {
        vec![
            ReportFile { name: "metrics.csv", contents: self.metrics_csv() },
            ReportFile { name: "metrics.json", contents: self.metrics_json() },
            ReportFile { name: "chart.svg", contents: self.chart_svg() },
        ]
    }
}
