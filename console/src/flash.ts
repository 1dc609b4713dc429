// A one-shot message carried to the next page (e.g. "Webhook registered" after the form closes).
let pending: string | null = null;

export function setFlash(message: string) {
  pending = message;
}

export function takeFlash(): string | null {
  const m = pending;
  pending = null;
  return m;
}
