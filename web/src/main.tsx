import { render } from 'preact';
import { App } from './app.tsx';
import { watchTableLabels } from './components/ui.tsx';
import { interceptLinks } from './router.ts';
import './styles.css';

interceptLinks();
const root = document.getElementById('app')!;
watchTableLabels(root);
render(<App />, root);
