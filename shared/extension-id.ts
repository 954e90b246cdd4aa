/**
 * The manifest `key` gives every unpacked copy of Tabcall the same extension
 * ID, so the server's origin allow-list can name it. Only the public key is
 * here; there is no private key to keep (it would matter only for packing a
 * .crx, which the Web Store does for us).
 */
export const EXTENSION_PUBLIC_KEY =
  'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAhAtzXgLOESuoG+pYVMuE+spnQ9tKYExZz6myeODS932kWU1onhytDiXhV0+xXalcLPa/WL42qmVjy91J3uW31BUdFeF2hvx2KNI+sDIb1hKRlFel1r+/6sClhlzyJ1kltzGQq3pal9FC/LPlcet+Yv+bzliYfGWGIcs4GK1zzQYTfUVLaAWrlsAMGcQpr4HB7zIG+ztGJZCP74z1+pe6s58V3nNdsXravX0u3uHAZBB7ubJA4R1wMfF/VuULVolvGI2X1yfcLN0cdOTrJrTQfdhb6Te58O7zh7luqebi6WR7FEvvmhNIBOFYpVadiccO+zm+Y/xHHPd+cSdUKpXOCQIDAQAB';

/** Derived from EXTENSION_PUBLIC_KEY (tests/unit/extension-id.test.ts checks it). */
export const EXTENSION_ID = 'bikpfpoakeegdgoegmbkkbadomcncogc';

export const EXTENSION_ORIGIN = `chrome-extension://${EXTENSION_ID}`;
