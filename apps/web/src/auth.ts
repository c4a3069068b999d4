/**
 * The API token of this browser tab: kept in sessionStorage (gone when the tab closes), sent
 * only in the Authorization header, never put in a URL (the API refuses ?token= anyway).
 */
const KEY = 'kbisect.token';

export const storedToken = (): string | undefined => sessionStorage.getItem(KEY) ?? undefined;

export function storeToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(KEY);
}

let asking: Promise<string> | undefined;

/** Shows the token dialog and resolves with what was typed; one dialog however many ask. */
export function askForToken(reason: string): Promise<string> {
  if (asking) return asking;
  const dialog = document.getElementById('token-dialog') as HTMLDialogElement;
  const form = document.getElementById('token-form') as HTMLFormElement;
  const input = document.getElementById('token-input') as HTMLInputElement;
  (document.getElementById('token-reason') as HTMLElement).textContent = reason;
  input.value = '';
  asking = new Promise<string>((resolve) => {
    const submitted = () => {
      const token = input.value.trim();
      if (!token) return;
      form.removeEventListener('submit', submitted);
      dialog.removeEventListener('cancel', keepOpen);
      asking = undefined;
      resolve(token);
    };
    // Nothing can be shown without a token: Escape does not close the dialog.
    const keepOpen = (event: Event) => event.preventDefault();
    form.addEventListener('submit', submitted);
    dialog.addEventListener('cancel', keepOpen);
  });
  dialog.showModal();
  input.focus();
  return asking;
}
