import { defineService } from '../../shared/service.ts';

export default defineService({
  name: 'users',
  description: 'Accounts, passwords, sessions (access and refresh tokens) and the JWKS',
  stores: { postgres: true },
  routes: [
    { method: 'POST', path: '/register', handler: 'handlers/register', access: 'public', summary: 'Register a customer account' },
    {
      method: 'POST',
      path: '/login',
      handler: 'handlers/login',
      access: 'public',
      summary: 'Sign in: access and refresh tokens',
    },
    {
      method: 'POST',
      path: '/token/refresh',
      handler: 'handlers/refresh-token',
      access: 'public',
      summary: 'Rotate a refresh token',
    },
    {
      method: 'POST',
      path: '/logout',
      handler: 'handlers/logout',
      access: 'public',
      summary: 'Revoke the session of a refresh token',
    },
    {
      method: 'GET',
      path: '/users/{id}',
      handler: 'handlers/get-user',
      access: 'user',
      summary: 'A user profile (own, or any for admins)',
    },
    {
      method: 'PATCH',
      path: '/users/{id}',
      handler: 'handlers/update-user',
      access: 'user',
      summary: 'Change name, email or phone',
    },
    {
      method: 'POST',
      path: '/users/{id}/password',
      handler: 'handlers/change-password',
      access: 'user',
      summary: 'Change your own password (the current one required); signs out every session',
    },
    {
      method: 'POST',
      path: '/validate-token',
      handler: 'handlers/validate-token',
      access: 'public',
      summary: 'Introspect an access token',
    },
    {
      method: 'GET',
      path: '/.well-known/jwks.json',
      handler: 'handlers/jwks',
      access: 'public',
      apiKeyRequired: false,
      summary: 'Public keys that verify access tokens',
    },
  ],
  schedules: [
    { name: 'outbox-relay', everyMinutes: 1, handler: 'handlers/relay-outbox' },
    { name: 'housekeeping', everyMinutes: 60, handler: 'handlers/housekeeping' },
  ],
  publishes: ['user.registered', 'user.updated', 'user.password.changed'],
});
