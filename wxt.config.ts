import { defineConfig } from 'wxt';
import { EXTENSION_PUBLIC_KEY } from './shared/extension-id';

export default defineConfig({
  srcDir: 'extension',
  // wxt/browser is the webextension-polyfill: promise-based browser.* in every context.
  modules: ['@wxt-dev/webextension-polyfill'],
  publicDir: 'extension/public',
  outDir: '.output',
  // `npm run zip` builds with --mode store: no `key` (the Web Store refuses one and assigns its own id).
  manifest: ({ mode }) => ({
    name: '__MSG_extName__',
    description: '__MSG_extDescription__',
    default_locale: 'en',
    ...(mode !== 'store' && { key: EXTENSION_PUBLIC_KEY }),
    permissions: ['offscreen', 'storage', 'sidePanel'],
    host_permissions: [],
    action: { default_title: 'Tabcall' },
    commands: {
      'next-stranger': { suggested_key: { default: 'Alt+Shift+K' }, description: '__MSG_commandNext__' },
      'stop-call': { suggested_key: { default: 'Alt+Shift+S' }, description: '__MSG_commandStop__' },
      'toggle-mute': { suggested_key: { default: 'Alt+Shift+M' }, description: '__MSG_commandMute__' },
    },
  }),
  zip: { artifactTemplate: '{{name}}-{{version}}-{{browser}}-store.zip' },
  vite: () => ({
    esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  }),
});
