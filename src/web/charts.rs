//! Server-rendered SVG charts (plotters): readable without JavaScript, in either language.

use plotters::prelude::*;

/// Drawn small enough that a phone shrinks it less than half, so its labels stay legible.
const SIZE: (u32, u32) = (560, 320);

/// At most this many bars carry a label; the others sit between labelled ones.
const MAX_LABELS: usize = 6;

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
    let n = bars.len().max(1);
    let every = n.div_ceil(MAX_LABELS);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 24))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d((0..n).into_segmented(), 0..top)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n)
        .y_labels((top as usize + 1).min(6))
        .label_style(("sans-serif", 18))
        .y_label_formatter(&|v| v.to_string())
        .x_label_formatter(&|x| match x {
            SegmentValue::CenterOf(i) if i.is_multiple_of(every) => {
                bars.get(*i).map(|b| b.0.clone()).unwrap_or_default()
            }
            _ => String::new(),
        })
        .draw()?;
    chart.draw_series(bars.iter().enumerate().map(|(i, (_, v))| {
        Rectangle::new(
            [(SegmentValue::Exact(i), 0), (SegmentValue::Exact(i + 1), *v)],
            RGBColor(11, 110, 79).filled(),
        )
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

    #[test]
    fn many_bars_label_only_every_few() {
        let bars: Vec<(String, u64)> = (0..12).map(|i| (format!("w{i}"), i)).collect();
        let svg = bar_chart("t", &bars);
        let labelled = texts(&svg).iter().filter(|label| label.starts_with('w')).count();
        assert_eq!(labelled, MAX_LABELS, "{svg}");
    }
}
