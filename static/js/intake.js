// "New request for a caller": suggest organisations by name or provider ID as the agent types,
// and the chosen organisation's sites. Without JavaScript the agent types the provider ID.
(function () {
  "use strict";
  const form = document.querySelector("form[data-organization-lookup]");
  if (!form) return;
  const url = form.dataset.organizationLookup;
  const organization = form.querySelector("#id_organization");
  const organizations = document.getElementById("organization-options");
  const sites = document.getElementById("site-options");
  if (!organization || !organizations || !sites) return;
  const sitesByLabel = new Map();
  let timer = null;
  let asked = "";

  function fill(list, values) {
    list.replaceChildren(...values.map((value) => {
      const option = document.createElement("option");
      option.value = value; // text only: never HTML
      return option;
    }));
  }

  function showSites() {
    fill(sites, sitesByLabel.get(organization.value.trim()) || []);
  }

  async function suggest() {
    const query = organization.value.trim();
    if (query.length < 2 || query === asked) return;
    asked = query;
    try {
      const response = await fetch(`${url}?q=${encodeURIComponent(query)}`, {headers: {Accept: "application/json"}});
      if (!response.ok) return;
      const data = await response.json();
      for (const item of data.organizations) sitesByLabel.set(item.label, item.sites);
      fill(organizations, data.organizations.map((item) => item.label));
      showSites();
    } catch (error) {
      // Offline or slow: the agent can still type the provider ID.
    }
  }

  organization.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(suggest, 200);
    showSites();
  });
  organization.addEventListener("change", showSites);
})();
