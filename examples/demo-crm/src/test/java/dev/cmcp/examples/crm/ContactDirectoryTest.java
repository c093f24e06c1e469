package dev.cmcp.examples.crm;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ContactDirectoryTest {
  private final ContactDirectory directory = ContactDirectory.fictional();

  @Test
  void holdsAboutADozenPeopleAtFourCompaniesIncludingAcmeCorp() {
    assertThat(directory.contacts()).hasSize(12);
    assertThat(directory.contacts().stream().map(Contact::company).distinct())
        .hasSize(4)
        .contains("Acme Corp");
  }

  @Test
  void everyContactIsVisiblyFictional() {
    // example.com is reserved for documentation, and 555-01xx numbers are never assigned.
    assertThat(directory.contacts()).allSatisfy(contact -> {
      assertThat(contact.email()).endsWith("@example.com");
      assertThat(contact.phone()).matches("\\+1-\\d{3}-555-01\\d{2}");
    });
  }

  @Test
  void searchMatchesCompanyOrNameIgnoringCase() {
    assertThat(directory.search("NORTHWIND")).hasSize(3);
    assertThat(directory.search("elena")).extracting(Contact::name).containsExactly("Elena Petrova");
    assertThat(directory.search("no such company")).isEmpty();
  }
}
