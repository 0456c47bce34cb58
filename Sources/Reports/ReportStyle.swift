import DDPO
import RunLogging

/// The report's stylesheet, inlined in its `<style>` element: the file must open
/// offline, with nothing fetched.
///
/// Tables never set the page's width: each sits in a `.table-scroll` box that
/// scrolls sideways when the table is wider than the window (a comparison of many
/// groups, a run's metadata), instead of being cut at the page's edge.
enum ReportStyle {
    static let css = """
        :root { color-scheme: light; }
        body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
               color: #0f172a; background: #f1f5f9; margin: 0; line-height: 1.45; }
        main { max-width: 1160px; margin: 0 auto; padding: 24px; }
        main.wide { max-width: none; }
        header h1 { margin: 0; font-size: 26px; }
        header h1 code { font-size: 24px; }
        .muted { color: #64748b; font-weight: normal; font-size: 0.85em; }
        section { background: #fff; border: 1px solid #e2e8f0; border-radius: 8px; padding: 16px 20px;
                  margin-top: 20px; }
        h2 { margin: 0 0 12px; font-size: 19px; }
        h3 { margin: 0 0 4px; font-size: 16px; }
        table { border-collapse: collapse; }
        .table-scroll { overflow-x: auto; max-width: 100%; }
        table.summary td { overflow-wrap: anywhere; }
        th, td { text-align: left; padding: 5px 14px 5px 0; border-bottom: 1px solid #f1f5f9;
                 vertical-align: top; }
        th { color: #475569; font-weight: 600; white-space: nowrap; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        .problems { background: #fef2f2; border-color: #fecaca; color: #7f1d1d; }
        .missing { color: #92400e; background: #fffbeb; border: 1px dashed #fcd34d; padding: 10px;
                   border-radius: 6px; }
        .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(440px, 100%), 1fr)); gap: 16px; }
        svg.chart { width: 100%; height: auto; display: block; background: #fff; }
        .pair { display: grid; grid-template-columns: 1fr 1fr; gap: 24px; }
        @media (max-width: 820px) { .pair { grid-template-columns: 1fr; } }
        .tiles { display: grid; gap: 10px; margin-top: 8px; }
        figure { margin: 0; }
        figure img { width: 100%; max-width: 100%; height: auto; image-rendering: pixelated;
                     display: block; border: 1px solid #e2e8f0; background: #f8fafc; }
        figcaption { font-size: 12px; margin-top: 3px; }
        figcaption .prompt { display: block; overflow-wrap: anywhere; color: #334155; }
        figcaption .reward { font-weight: 600; font-variant-numeric: tabular-nums; }
        .up { color: #15803d; } .down { color: #b91c1c; } .same { color: #64748b; }
        pre { background: #0f172a; color: #e2e8f0; padding: 12px 14px; border-radius: 6px; overflow-x: auto;
              font-size: 12.5px; line-height: 1.4; }
        footer { color: #64748b; font-size: 12px; margin: 16px 0 8px; }
        """

    /// A whole page: the document head with the inlined stylesheet, then `body`
    /// (already HTML) inside `<main>`. `title` is plain text. A `wide` page uses the
    /// window's whole width (comparisons: their tables and charts grow with the groups).
    static func page(title: String, body: String, wide: Bool = false) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(HTMLText.escape(title))</title>
        <style>
        \(css)
        </style>
        </head>
        <body>
        <main\(wide ? " class=\"wide\"" : "")>
        \(body)</main>
        </body>
        </html>

        """
    }
}
