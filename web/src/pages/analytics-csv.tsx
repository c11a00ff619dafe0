// A chart's or table's download: a plain link to the same API read with ?format=csv, which the browser
// saves (the session cookie goes with it, as with every same-origin request).
export function CsvLink({ what, href }: { what: string; href: string }) {
  return (
    <a class="csv-link" href={href} download aria-label={`Download CSV: ${what}`}>
      Download CSV
    </a>
  );
}
