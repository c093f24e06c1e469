package dev.cmcp.examples.crm;

import java.util.Locale;

/** One person in the demo CRM. Every value is made up: example.com mailboxes, 555-01xx numbers. */
public record Contact(String name, String email, String phone, String company, String title) {

  /** True when the query occurs, ignoring case, in this contact's name or company. */
  boolean matches(String query) {
    String needle = query.toLowerCase(Locale.ROOT);
    return name.toLowerCase(Locale.ROOT).contains(needle) || company.toLowerCase(Locale.ROOT).contains(needle);
  }
}
