import { render } from 'preact';
import { App } from '../../ui/App';
import '../../ui/styles.css';

document.documentElement.lang = chrome.i18n.getUILanguage();
render(<App surface="sidepanel" />, document.getElementById('root')!);
