// The webview's page: a strict Content-Security-Policy (scripts only with this load's nonce, styles and images
// only from the extension's own files, no remote content), one stylesheet, one script.
export function panelHtml(o: { cspSource: string; script: string; style: string; nonce: string }): string {
  const csp = [
    "default-src 'none'",
    `img-src ${o.cspSource} data:`,
    `style-src ${o.cspSource} 'nonce-${o.nonce}'`,
    `font-src ${o.cspSource}`,
    `script-src 'nonce-${o.nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" nonce="${o.nonce}" href="${o.style}">
<title>Fine-tune</title>
</head>
<body>
<div id="app" data-testid="panel-root"></div>
<script nonce="${o.nonce}" src="${o.script}"></script>
</body>
</html>`;
}
