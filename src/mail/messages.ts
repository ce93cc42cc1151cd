import type { MailMessage } from './transport.js';

// The texts of the service's emails: plain text, short lines (no quoted-printable soft breaks
// inside a token). Only the recipient sees which one they got, so a taken and a free address may
// receive different messages while the sign-up answers them identically.

const when = (date: Date) => date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');

/** To a free address: the one-time token that creates the account (confirmSignUp). */
export function signUpConfirmation(to: string, name: string, token: string, expiresAt: Date): MailMessage {
  return {
    to,
    subject: 'Confirm your tenantql account',
    text: [
      `Hello ${name},`,
      '',
      'To create your tenantql account, confirm it with this token',
      `(valid until ${when(expiresAt)}, once):`,
      '',
      token,
      '',
      'e.g. mutation { confirmSignUp(token: "<token>") { accessToken } }',
      '',
      'If you did not sign up, ignore this email: no account is created.',
    ].join('\n'),
  };
}

/** To an address that already has an account: no token, nothing to do unless it was them. */
export function accountAlreadyExists(to: string): MailMessage {
  return {
    to,
    subject: 'You already have a tenantql account',
    text: [
      'Someone asked to create a tenantql account with this email address,',
      'which already has one. Sign in with it instead (login).',
      '',
      'If this was not you, ignore this email: nothing was changed.',
    ].join('\n'),
  };
}

/** To an invited address: the one-time token that joins the organization (acceptInvitation). */
export function invitation(
  to: string,
  details: { organizationName: string; invitedBy: string; role: string; token: string; expiresAt: Date },
): MailMessage {
  return {
    to,
    subject: `${details.invitedBy} invited you to ${details.organizationName} on tenantql`,
    text: [
      `${details.invitedBy} invited you to join ${details.organizationName}`,
      `on tenantql as ${details.role}. Sign in with this email address`,
      '(or sign up first, without an organization) and accept with',
      `this token (valid until ${when(details.expiresAt)}, once):`,
      '',
      details.token,
      '',
      'e.g. mutation { acceptInvitation(token: "<token>") { accessToken } }',
      '',
      'If you do not want to join, ignore this email.',
    ].join('\n'),
  };
}
