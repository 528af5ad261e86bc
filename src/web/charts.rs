//! Server-rendered SVG charts (plotters): readable without JavaScript, in either language.

use std::ops::Range;

use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};
use plotters::prelude::*;

/// Drawn small enough that a phone shrinks it less than half, so its labels stay legible.
const SIZE: (u32, u32) = (560, 320);

/// Room around the chart, in pixels.
const MARGIN: u32 = 12;

/// At most this many bars carry a label; the others sit between labelled ones.
const MAX_LABELS: usize = 6;

/// The share of a slot left empty on each side of its bar.
const GAP: f64 = 0.12;

/// The colour of the bars.
const BAR: RGBColor = RGBColor(11, 110, 79);

/// The category axis of a bar chart: `n` slots of equal width across the whole plot area,
/// one a bar, positions counted in slots (`0.0` the left edge, `n` the right one). Labels sit
/// at the centres of every `every`-th slot.
#[derive(Clone, Copy, Debug)]
struct Slots {
    n: usize,
    every: usize,
}

impl Slots {
    fn new(n: usize) -> Self {
        let n = n.max(1);
        Slots {
            n,
            every: n.div_ceil(MAX_LABELS),
        }
    }

    /// The slot a position falls in, when it is a slot's centre that carries a label.
    fn labelled(&self, x: f64) -> Option<usize> {
        let i = x.floor();
        let labelled = i >= 0.0 && (i as usize) < self.n && (x - i - 0.5).abs() < 1e-9;
        (labelled && (i as usize).is_multiple_of(self.every)).then_some(i as usize)
    }
}

impl Ranged for Slots {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let width = f64::from(limit.1 - limit.0);
        limit.0 + (width * value / self.n as f64).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, _hint: Hint) -> Vec<f64> {
        (0..self.n).step_by(self.every).map(|i| i as f64 + 0.5).collect()
    }

    fn range(&self) -> Range<f64> {
        0.0..self.n as f64
    }
}

impl ValueFormatter<f64> for Slots {
    fn format(_: &f64) -> String {
        String::new()
    }
}

/// True when a chart of `bars` would show something: pages leave out a chart of nothing
/// rather than an empty grid.
pub fn worth_drawing(bars: &[(String, u64)]) -> bool {
    bars.iter().any(|(_, v)| *v > 0)
}

/// A vertical bar chart of `bars` (label, count) as an SVG document, with whole-number
/// ticks; with nothing to draw, only its title.
pub fn bar_chart(title: &str, bars: &[(String, u64)]) -> String {
    let mut svg = String::new();
    {
        let backend = SVGBackend::with_string(&mut svg, SIZE);
        let drawn = if worth_drawing(bars) {
            draw(backend, title, bars)
        } else {
            title_only(backend, title)
        };
        if drawn.is_err() {
            tracing::warn!("a chart could not be drawn");
        }
    }
    svg
}

fn title_only<'a>(backend: SVGBackend<'a>, title: &str) -> Result<(), Box<dyn std::error::Error + 'a>> {
    let root = backend.into_drawing_area();
    root.fill(&WHITE)?;
    root.titled(title, ("sans-serif", 24))?;
    root.present()?;
    Ok(())
}

/// The top of the value axis: some room above the highest bar, at least one whole step.
fn axis_top(max: u64) -> u64 {
    (max + max.div_ceil(8)).max(max + 1)
}

fn draw<'a>(
    backend: SVGBackend<'a>,
    title: &str,
    bars: &[(String, u64)],
) -> Result<(), Box<dyn std::error::Error + 'a>> {
    let root = backend.into_drawing_area();
    root.fill(&WHITE)?;
    let top = axis_top(bars.iter().map(|b| b.1).max().unwrap_or(0));
    let slots = Slots::new(bars.len());
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 24))
        .margin(MARGIN)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(slots, 0..top)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(slots.n)
        .y_labels((top as usize + 1).min(6))
        .label_style(("sans-serif", 18))
        .y_label_formatter(&|v| v.to_string())
        .x_label_formatter(&|x| {
            slots
                .labelled(*x)
                .and_then(|i| bars.get(i))
                .map(|b| b.0.clone())
                .unwrap_or_default()
        })
        .draw()?;
    chart.draw_series(bars.iter().enumerate().map(|(i, (_, v))| {
        let left = i as f64;
        Rectangle::new([(left + GAP, 0), (left + 1.0 - GAP, *v)], BAR.filled())
    }))?;
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every non-empty text the chart prints.
    fn texts(svg: &str) -> Vec<String> {
        svg.split("<text")
            .filter_map(|t| t.split_once('>').map(|(_, rest)| rest))
            .filter_map(|rest| rest.split_once("</text>").map(|(label, _)| label.trim().to_owned()))
            .filter(|label| !label.is_empty())
            .collect()
    }

    /// The numbers printed as tick labels on the value axis.
    fn ticks(svg: &str) -> Vec<String> {
        texts(svg)
            .into_iter()
            .filter(|label| label.parse::<f64>().is_ok())
            .collect()
    }

    #[test]
    fn a_chart_is_an_svg_document_with_its_labels() {
        let svg = bar_chart("每周需求", &[("11月16日".into(), 3), ("11月23日".into(), 5)]);
        assert!(
            svg.starts_with("<svg") && svg.contains("每周需求") && svg.contains("11月23日"),
            "{svg}"
        );
        assert!(!svg.contains("<script"));
    }

    #[test]
    fn counts_get_whole_number_ticks_even_when_small() {
        for max in [1, 2, 3, 7, 40, 1234] {
            let svg = bar_chart("t", &[("a".into(), max), ("b".into(), 0)]);
            let ticks = ticks(&svg);
            assert!(ticks.len() >= 2, "{max}: {ticks:?}");
            assert!(ticks.iter().all(|t| t.parse::<u64>().is_ok()), "{max}: {ticks:?}");
        }
    }

    #[test]
    fn nothing_to_draw_draws_the_title_and_no_grid() {
        assert!(!worth_drawing(&[]));
        assert!(!worth_drawing(&[("a".into(), 0)]));
        assert!(worth_drawing(&[("a".into(), 0), ("b".into(), 1)]));
        let svg = bar_chart("按人群完成的需求", &[("a".into(), 0)]);
        assert!(svg.starts_with("<svg") && svg.contains("按人群完成的需求"));
        assert!(ticks(&svg).is_empty(), "no axis: {svg}");
    }

    /// Left end and width of each bar, as drawn, left to right.
    fn drawn_bars(svg: &str) -> Vec<(i32, i32)> {
        let attr = |tag: &str, name: &str| -> Option<i32> {
            let start = tag.find(&format!(" {name}=\"")).map(|i| i + name.len() + 3)?;
            let end = tag[start..].find('"')? + start;
            tag[start..end].parse().ok()
        };
        let mut bars: Vec<(i32, i32)> = svg
            .split("<rect")
            .skip(1)
            .filter_map(|rest| rest.split_once("/>").map(|(tag, _)| tag))
            .filter(|tag| tag.to_uppercase().contains("FILL=\"#0B6E4F\""))
            .filter_map(|tag| Some((attr(tag, "x")?, attr(tag, "width")?)))
            .collect();
        bars.sort_unstable();
        bars
    }

    #[test]
    fn n_bars_spread_over_n_equal_slots_filling_the_plot_width() {
        // The plot area: right of the value labels, inside the margin.
        let left = (MARGIN + 56) as f64;
        let right = (SIZE.0 - MARGIN) as f64;
        for n in [1usize, 2, 3, 5, 8, 12, 26] {
            let bars: Vec<(String, u64)> = (0..n).map(|i| (format!("w{i}"), (i % 4 + 1) as u64)).collect();
            let svg = bar_chart("每周需求", &bars);
            let drawn = drawn_bars(&svg);
            assert_eq!(drawn.len(), n, "{n} bars: {drawn:?}");
            let slot = (right - left) / n as f64;
            for (i, (x, width)) in drawn.iter().enumerate() {
                let centre = f64::from(*x) + f64::from(*width) / 2.0;
                let expected = left + (i as f64 + 0.5) * slot;
                assert!(
                    (centre - expected).abs() <= 2.0,
                    "{n} bars: bar {i} centred at {centre}, its slot's centre is {expected}: {drawn:?}"
                );
                assert!(
                    f64::from(*x) >= left && f64::from(x + width) <= right,
                    "{n} bars: bar {i} leaves the plot area: {drawn:?}"
                );
                assert!(
                    f64::from(*width) > slot / 2.0,
                    "{n} bars: bar {i} is squeezed: {drawn:?}"
                );
            }
            let ticks = ticks(&svg);
            assert!(
                ticks.len() >= 2 && ticks.iter().all(|t| t.parse::<u64>().is_ok()),
                "{n}: {ticks:?}"
            );
        }
    }

    #[test]
    fn each_bar_is_labelled_under_its_own_slot() {
        let bars: Vec<(String, u64)> = (0..3).map(|i| (format!("w{i}"), 2)).collect();
        let svg = bar_chart("t", &bars);
        let xs: Vec<f64> = svg
            .split("<text")
            .skip(1)
            .filter(|t| {
                t.split_once('>')
                    .is_some_and(|(_, rest)| rest.trim_start().starts_with('w'))
            })
            .filter_map(|t| {
                let start = t.find(" x=\"")? + 4;
                t[start..start + t[start..].find('"')?].parse().ok()
            })
            .collect();
        let drawn = drawn_bars(&svg);
        assert_eq!(xs.len(), 3, "{svg}");
        for (x, (left, width)) in xs.iter().zip(drawn) {
            let centre = f64::from(left) + f64::from(width) / 2.0;
            assert!((x - centre).abs() <= 2.0, "label at {x}, bar centred at {centre}");
        }
    }

    #[test]
    fn many_bars_label_only_every_few() {
        let bars: Vec<(String, u64)> = (0..12).map(|i| (format!("w{i}"), i)).collect();
        let svg = bar_chart("t", &bars);
        let labelled = texts(&svg).iter().filter(|label| label.starts_with('w')).count();
        assert_eq!(labelled, MAX_LABELS, "{svg}");
    }
}
