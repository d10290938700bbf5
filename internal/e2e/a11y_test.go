package e2e

import (
	"net/url"
	"testing"

	"github.com/chromedp/chromedp"
)

// problemsJS lists what would stop a keyboard or screen-reader user on
// the current page: form controls without a label, buttons and links
// without a name, not exactly one h1, a missing lang. It returns "" when
// there is nothing to report.
const problemsJS = `(() => {
  const out = [];
  if (!document.documentElement.lang) out.push("no lang on <html>");
  const h1 = document.querySelectorAll("h1").length;
  if (h1 !== 1) out.push(h1 + " h1 elements");
  for (const e of document.querySelectorAll("input:not([type=hidden]), select, textarea")) {
    if (!e.labels.length && !e.getAttribute("aria-label")) out.push("unlabelled " + e.tagName + "#" + e.id + "[name=" + e.name + "]");
  }
  for (const e of document.querySelectorAll("button:not([hidden]), a[href]")) {
    if (!(e.textContent.trim() || e.getAttribute("aria-label"))) out.push("nameless " + e.outerHTML.slice(0, 80));
  }
  for (const e of document.querySelectorAll("img:not([alt])")) out.push("img without alt");
  return out.join("; ");
})()`

// overflowJS reports a page wider than the viewport (content a phone user
// would have to scroll sideways for); code blocks scroll on their own.
const overflowJS = `(() => {
  const w = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= w + 1) return "";
  const wide = [...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > w + 1 && !e.closest("pre, .table-wrap"));
  return "page is " + document.documentElement.scrollWidth + "px wide in a " + w + "px viewport: " +
    wide.slice(0, 3).map(e => e.tagName + (e.id ? "#" + e.id : "") + "." + e.className).join(", ");
})()`

// TestPagesAccessibleAndResponsive walks every dashboard page as a Super
// Administrator, on a laptop-sized and on a phone-sized viewport.
func TestPagesAccessibleAndResponsive(t *testing.T) {
	a := newAcme(t)
	b := newBrowser(t)
	b.open(a.dashURL + "/login")
	if p, _ := b.eval(problemsJS); p != "" {
		t.Errorf("/login: %s", p)
	}
	b.typeInto("#email", bootstrapAdmin)
	b.click("#continue")
	b.waitVisible("#password")
	if p, _ := b.eval(problemsJS); p != "" {
		t.Errorf("password step: %s", p)
	}
	b.typeInto("#password", bootstrapPassword)
	b.click("#sign-in")
	b.waitURL("the account home", func(u *url.URL) bool { return a.isDashboard(u, "/"+a.accountID+"/home") })

	pages := []string{"/home", "/sso", "/api-tokens", "/api-tokens/new", "/members", "/access", "/audit-log",
		"/access/identity-providers/new?type=oidc", "/access/identity-providers/new?type=saml",
		"/access/apps/new?type=self_hosted", "/access/apps/new?type=bookmark", "/access/apps/new?type=app_launcher",
		"/access/policies/new", "/access/service-tokens"}
	check := func(size string) {
		for _, p := range pages {
			b.open(a.dashURL + "/" + a.accountID + p)
			b.waitVisible("main h1")
			if got, err := b.eval(problemsJS); err != nil || got != "" {
				t.Errorf("%s (%s): %s %v", p, size, got, err)
			}
			if got, err := b.eval(overflowJS); err != nil || got != "" {
				t.Errorf("%s (%s): %s %v", p, size, got, err)
			}
		}
		b.open(a.dashURL + "/profile")
		if got, _ := b.eval(problemsJS); got != "" {
			t.Errorf("/profile (%s): %s", size, got)
		}
	}
	check("laptop")
	b.do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	check("phone")
	b.open(a.dashURL + "/" + a.accountID + "/home")
	b.waitVisible("#account-id")
	step(t, "phone-home")
	b.open(a.dashURL + "/" + a.accountID + "/sso")
	b.waitVisible("main h1")
	step(t, "phone-sso")
}
