// Sub-commands contributed by other parts of Rapport register here (kept apart from cli.ts so each
// part adds one line).
export {};
