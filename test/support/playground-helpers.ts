import type { Locator, Page } from 'playwright-core';

// Driving Ruru (GraphiQL 5) the way a person does: the run button, its operation menu, the
// editors. Selectors are GraphiQL's own class names and roles.

/** The text a Monaco editor shows (its rendered lines; Monaco writes spaces as U+00A0). */
export async function editorText(editor: Locator): Promise<string> {
  return (await editor.locator('.view-lines').innerText()).replace(/\u00a0/g, ' ');
}

export const queryEditor = (page: Page) => page.locator('.graphiql-query-editor');
export const headersEditor = (page: Page) => page.locator('.graphiql-editor-tool .graphiql-editor').last();
export const resultPane = (page: Page) => page.locator('.result-window');

/** Presses the run button and picks `operation` from the menu it opens for a document of several operations. */
export async function runOperation(page: Page, operation: string): Promise<void> {
  await page.locator('.graphiql-execute-button').click();
  await page.getByRole('menuitem', { name: operation, exact: true }).click();
}

/** Waits until the result pane's text satisfies `test`; returns the text. */
export async function waitForResult(page: Page, test: (text: string) => boolean, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < deadline) {
    text = await editorText(resultPane(page)).catch(() => '');
    if (test(text)) return text;
    await page.waitForTimeout(100);
  }
  throw new Error(`the result pane never showed what was expected; it shows:\n${text}`);
}

/** Replaces the headers editor's text, as a paste does (no auto-closed brackets or quotes). */
export async function setHeaders(page: Page, json: string): Promise<void> {
  const editor = headersEditor(page);
  await editor.click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(json);
  await page.keyboard.press('ControlOrMeta+Home'); // back to the start, as a person would look at it
}
