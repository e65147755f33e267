// Search snippets from the page's article, around the words as typed or stemmed.
// Loaded before searchtools.js: it replaces two of its functions once the page
// has loaded, before the search runs.
document.addEventListener("DOMContentLoaded", () => {
  if (typeof Search === "undefined") return;
  Search.htmlToText = (htmlString, anchor) => {
    const page = new DOMParser().parseFromString(htmlString, "text/html");
    for (const query of [".headerlink", "script", "style"]) {
      page.querySelectorAll(query).forEach((el) => el.remove());
    }
    const article =
      page.querySelector("article.bd-article") || page.querySelector('[role="main"]');
    if (!article) return "";
    const part = anchor ? article.querySelector(anchor) : null;
    return (part || article).textContent;
  };
  Search.makeSearchSummary = (htmlText, keywords, anchor) => {
    const text = Search.htmlToText(htmlText, anchor).replace(/\s+/g, " ").trim();
    if (text === "") return null;
    const lower = text.toLowerCase();
    const typed = (new URLSearchParams(window.location.search).get("q") || "")
      .toLowerCase().split(/\s+/).filter(Boolean);
    const hits = [...typed, ...keywords]
      .map((word) => lower.indexOf(word.toLowerCase()))
      .filter((at) => at > -1);
    const start = hits.length ? Math.max(Math.min(...hits) - 120, 0) : 0;
    const summary = document.createElement("p");
    summary.classList.add("context");
    summary.textContent = (start > 0 ? "..." : "") + text.substr(start, 240).trim()
      + (start + 240 < text.length ? "..." : "");
    return summary;
  };
});
