import { describe, expect, it, vi } from 'vitest';
import { act, fireEvent, render, screen } from '@testing-library/react';
import { Composer } from './Composer';

describe('Composer', () => {
  it('Enter sends, Shift+Enter does not, and IME composition never sends', () => {
    const onSend = vi.fn();
    render(<Composer streaming={false} onSend={onSend} onStop={() => {}} />);
    const box = screen.getByRole('textbox', { name: 'Message' });
    fireEvent.change(box, { target: { value: '你好' } });
    fireEvent.compositionStart(box);
    fireEvent.keyDown(box, { key: 'Enter' });
    expect(onSend).not.toHaveBeenCalled();
    fireEvent.compositionEnd(box);
    fireEvent.keyDown(box, { key: 'Enter', keyCode: 229 });
    expect(onSend).not.toHaveBeenCalled();
    fireEvent.keyDown(box, { key: 'Enter', shiftKey: true });
    expect(onSend).not.toHaveBeenCalled();
    fireEvent.keyDown(box, { key: 'Enter' });
    expect(onSend).toHaveBeenCalledWith('你好');
    expect((box as HTMLTextAreaElement).value).toBe('');
  });

  it('shows Stop while streaming and does not send', () => {
    const onSend = vi.fn();
    const onStop = vi.fn();
    render(<Composer streaming onSend={onSend} onStop={onStop} />);
    const box = screen.getByRole('textbox', { name: 'Message' });
    fireEvent.change(box, { target: { value: 'hi' } });
    fireEvent.keyDown(box, { key: 'Enter' });
    expect(onSend).not.toHaveBeenCalled();
    fireEvent.click(screen.getByRole('button', { name: 'Stop generating' }));
    expect(onStop).toHaveBeenCalled();
  });
});

describe('Composer draft', () => {
  it('keeps the draft under its key and puts the text back when sending fails', async () => {
    sessionStorage.setItem('draft-k', 'saved earlier');
    let resolve: (ok: boolean) => void = () => {};
    const onSend = vi.fn(() => new Promise<boolean>((r) => (resolve = r)));
    const { unmount } = render(<Composer streaming={false} onSend={onSend} onStop={() => {}} draftKey="draft-k" />);
    const box = screen.getByRole('textbox', { name: 'Message' }) as HTMLTextAreaElement;
    expect(box.value).toBe('saved earlier');
    fireEvent.change(box, { target: { value: 'a new question' } });
    expect(sessionStorage.getItem('draft-k')).toBe('a new question');
    fireEvent.keyDown(box, { key: 'Enter' });
    expect(onSend).toHaveBeenCalledWith('a new question');
    expect(box.value).toBe('');
    await act(async () => resolve(false));
    expect(box.value).toBe('a new question');
    unmount();
    sessionStorage.clear();
  });
});

it('the draft survives a send that never comes back (the chat was replaced by the login page)', async () => {
  let resolve: (ok: boolean) => void = () => {};
  const onSend = vi.fn(() => new Promise<boolean>((r) => (resolve = r)));
  const first = render(<Composer streaming={false} onSend={onSend} onStop={() => {}} draftKey="draft-x" />);
  const box = screen.getByRole('textbox', { name: 'Message' }) as HTMLTextAreaElement;
  fireEvent.change(box, { target: { value: 'keep me' } });
  fireEvent.keyDown(box, { key: 'Enter' });
  expect(sessionStorage.getItem('draft-x')).toBe('keep me');
  first.unmount();
  await act(async () => resolve(false));
  render(<Composer streaming={false} onSend={onSend} onStop={() => {}} draftKey="draft-x" />);
  expect((screen.getByRole('textbox', { name: 'Message' }) as HTMLTextAreaElement).value).toBe('keep me');
  // A successful send forgets it.
  fireEvent.keyDown(screen.getByRole('textbox', { name: 'Message' }), { key: 'Enter' });
  await act(async () => resolve(true));
  expect(sessionStorage.getItem('draft-x')).toBeNull();
  sessionStorage.clear();
});
