//! Server-rendered SVG charts (plotters): readable without JavaScript, in either language.

use plotters::prelude::*;

/// A vertical bar chart of `bars` (label, value) as an SVG document.
pub fn bar_chart(title: &str, bars: &[(String, f64)]) -> String {
    let mut svg = String::new();
    {
        let backend = SVGBackend::with_string(&mut svg, (720, 360));
        if draw(backend, title, bars).is_err() {
            tracing::warn!("a chart could not be drawn");
        }
    }
    svg
}

fn draw<'a>(
    backend: SVGBackend<'a>,
    title: &str,
    bars: &[(String, f64)],
) -> Result<(), Box<dyn std::error::Error + 'a>> {
    let root = backend.into_drawing_area();
    root.fill(&WHITE)?;
    let max = bars.iter().map(|b| b.1).fold(0.0f64, f64::max).max(1.0) * 1.15;
    let n = bars.len().max(1);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(56)
        .build_cartesian_2d((0..n).into_segmented(), 0.0..max)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n)
        .x_label_formatter(&|x| match x {
            SegmentValue::CenterOf(i) => bars.get(*i).map(|b| b.0.clone()).unwrap_or_default(),
            _ => String::new(),
        })
        .draw()?;
    chart.draw_series(bars.iter().enumerate().map(|(i, (_, v))| {
        Rectangle::new(
            [(SegmentValue::Exact(i), 0.0), (SegmentValue::Exact(i + 1), *v)],
            RGBColor(11, 110, 79).filled(),
        )
    }))?;
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_is_an_svg_document_with_its_labels() {
        let svg = bar_chart("每周需求", &[("W47".into(), 3.0), ("W48".into(), 5.0)]);
        assert!(
            svg.starts_with("<svg") && svg.contains("每周需求") && svg.contains("W48"),
            "{svg}"
        );
        assert!(!svg.contains("<script"));
        let empty = bar_chart("none", &[]);
        assert!(empty.starts_with("<svg"));
    }
}
