import { render } from 'preact';
import { App } from '../../ui/App';
import '../../ui/styles.css';

// The language of the strings chrome.i18n actually picked (getUILanguage can differ).
document.documentElement.lang = chrome.i18n.getMessage('lang');
render(<App surface="sidepanel" />, document.getElementById('root')!);
