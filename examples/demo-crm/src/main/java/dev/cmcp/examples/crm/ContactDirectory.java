package dev.cmcp.examples.crm;

import java.util.List;

/** The demo CRM's whole data set: a fixed list of fictional contacts. */
public record ContactDirectory(List<Contact> contacts) {

  public ContactDirectory {
    contacts = List.copyOf(contacts);
  }

  /** Twelve invented people at four invented companies, Acme Corp among them. */
  public static ContactDirectory fictional() {
    return new ContactDirectory(List.of(
        new Contact("Alice Moreno", "alice.moreno@example.com", "+1-202-555-0101", "Acme Corp", "VP Procurement"),
        new Contact("Ben Okafor", "ben.okafor@example.com", "+1-202-555-0102", "Acme Corp", "IT Director"),
        new Contact("Chloe Tanaka", "chloe.tanaka@example.com", "+1-202-555-0103", "Acme Corp", "Account Manager"),
        new Contact("Daniel Weiss", "daniel.weiss@example.com", "+1-312-555-0104", "Globex Industries", "CFO"),
        new Contact("Elena Petrova", "elena.petrova@example.com", "+1-312-555-0105", "Globex Industries",
            "Head of Security"),
        new Contact("Farid Haddad", "farid.haddad@example.com", "+1-312-555-0106", "Globex Industries",
            "Purchasing Lead"),
        new Contact("Grace Lindqvist", "grace.lindqvist@example.com", "+1-415-555-0107", "Initrode Systems", "CTO"),
        new Contact("Hiro Nakamura", "hiro.nakamura@example.com", "+1-415-555-0108", "Initrode Systems",
            "Platform Engineer"),
        new Contact("Isabel Cruz", "isabel.cruz@example.com", "+1-415-555-0109", "Initrode Systems",
            "Office Manager"),
        new Contact("James O'Neill", "james.oneill@example.com", "+1-617-555-0110", "Northwind Health",
            "Compliance Officer"),
        new Contact("Kavya Rao", "kavya.rao@example.com", "+1-617-555-0111", "Northwind Health", "COO"),
        new Contact("Liam Becker", "liam.becker@example.com", "+1-617-555-0112", "Northwind Health",
            "Data Analyst")));
  }

  /** Contacts whose name or company contains the query, ignoring case, in directory order. */
  public List<Contact> search(String query) {
    return contacts.stream().filter(contact -> contact.matches(query)).toList();
  }
}
