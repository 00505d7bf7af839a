/** The console's shell: navigation, who is logged in, and the page for the current path. */
import { Customer360, CustomerSearch } from './pages/Customer360';
import { DecisionExplorer } from './pages/DecisionExplorer';
import { Catalogue } from './pages/Catalogue';
import { Models } from './pages/Models';
import { Operations } from './pages/Operations';
import { Experiments } from './pages/Experiments';
import { Audit } from './pages/Audit';
import { Triggers } from './pages/Triggers';
import { Link, match, usePath } from './router';
import { useSession } from './session';

const NAV = [
  { to: '/customers', label: 'Customers' },
  { to: '/decisions', label: 'Decisions' },
  { to: '/catalogue', label: 'Catalogue' },
  { to: '/models', label: 'Models' },
  { to: '/triggers', label: 'Triggers' },
  { to: '/experiments', label: 'Experiments' },
  { to: '/audit', label: 'Audit' },
  { to: '/operations', label: 'Operations' },
] as const;

function Page({ path }: { path: string }) {
  let m: Record<string, string> | null;
  if ((m = match('/customers/:id', path))) return <Customer360 key={m.id} customerId={m.id!} />;
  if ((m = match('/decisions/:id', path))) return <DecisionExplorer key={m.id} decisionId={m.id!} />;
  if (match('/decisions', path)) return <DecisionExplorer decisionId={null} />;
  if (match('/catalogue', path)) return <Catalogue />;
  if (match('/models', path)) return <Models />;
  if (match('/operations', path)) return <Operations />;
  if (match('/experiments', path)) return <Experiments />;
  if (match('/audit', path)) return <Audit />;
  if (match('/triggers', path)) return <Triggers />;
  return <CustomerSearch />;
}

/** The logged-in console. */
export function App() {
  const path = usePath();
  const session = useSession();
  return (
    <>
      <header className="shell">
        <span className="brand">nextbest</span>
        <nav aria-label="Pages">
          <ul>
            {NAV.map((n) => (
              <li key={n.to}>
                <Link to={n.to} aria-current={path.startsWith(n.to) || (n.to === '/customers' && path === '/') ? 'page' : undefined}>
                  {n.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <span className="who">
          {session.who.id} · {session.who.scopes.join(', ') || 'no scopes'}{' '}
          <button type="button" onClick={session.logOut}>
            Log out
          </button>
        </span>
      </header>
      <main>
        <Page path={path} />
      </main>
    </>
  );
}
