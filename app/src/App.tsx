/** The single-page app: a header with the network and the three pages, routed by the URL's hash. */
import { useApp, AppProvider } from "./lib/context.js";
import { useChatSession } from "./lib/chat.js";
import { useRoute, type Route } from "./lib/route.js";
import { ChatPage } from "./pages/ChatPage.js";
import { ExplorerPage } from "./pages/ExplorerPage.js";
import { ObservatoryPage } from "./pages/ObservatoryPage.js";

export function App() {
  return (
    <AppProvider>
      <Shell />
    </AppProvider>
  );
}

const TABS: Array<{ page: Route["page"]; label: string; href: string }> = [
  { page: "chat", label: "Chat", href: "#/chat" },
  { page: "explorer", label: "Explorer", href: "#/explorer" },
  { page: "observatory", label: "Observatory", href: "#/observatory" },
];

function Shell() {
  const { config } = useApp();
  const route = useRoute();
  // The chat lives above the pages: a message keeps being followed while the explorer or observatory is open.
  const chat = useChatSession();
  return (
    <>
      <header className="topbar">
        <a className="brand" href="#/chat">
          OPG <span>verified inference</span>
        </a>
        <nav>
          {TABS.map((tab) => (
            <a
              key={tab.page}
              href={tab.href}
              className={route.page === tab.page ? "active" : ""}
              data-testid={`nav-${tab.page}`}
            >
              {tab.label}
            </a>
          ))}
        </nav>
        <span className="network" title={`chain id ${config.chainId}`}>
          <span className={`dot ${config.local ? "local" : "remote"}`} /> {config.network} · {config.chainId}
        </span>
      </header>
      <main>
        {route.page === "chat" && <ChatPage session={chat} />}
        {route.page === "explorer" && <ExplorerPage key={route.requestId ?? ""} requestId={route.requestId} />}
        {route.page === "observatory" && <ObservatoryPage />}
      </main>
    </>
  );
}
