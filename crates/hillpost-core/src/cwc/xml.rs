//! Writing a [`CwcMessage`] as CWC 2.0 XML, elements in the fact sheet's order (the
//! gateway's schema is order-sensitive). quick-xml escapes every text value.

use std::io;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use super::message::CwcMessage;

/// The schema version this writer produces.
pub const CWC_VERSION: &str = "2.0";

type Xml = Writer<Vec<u8>>;

impl CwcMessage {
    /// The exact bytes posted (their SHA-256 goes into the attempt row).
    pub fn to_xml(&self) -> Vec<u8> {
        let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
        // Writing into a Vec cannot fail.
        self.write(&mut writer)
            .expect("writing XML into memory does not fail");
        let mut bytes = writer.into_inner();
        bytes.push(b'\n');
        bytes
    }

    fn write(&self, w: &mut Xml) -> io::Result<()> {
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        w.create_element("CWC").write_inner_content(|w| {
            leaf(w, "CWCVersion", CWC_VERSION)?;
            w.create_element("Delivery")
                .write_inner_content(|w| self.write_delivery(w))?;
            w.create_element("Recipient")
                .write_inner_content(|w| leaf(w, "MemberOffice", self.office.as_str()))?;
            w.create_element("Constituent")
                .write_inner_content(|w| self.write_constituent(w))?;
            w.create_element("Message")
                .write_inner_content(|w| self.write_message(w))?;
            Ok(())
        })?;
        Ok(())
    }

    fn write_delivery(&self, w: &mut Xml) -> io::Result<()> {
        let agent = &self.agent;
        leaf(w, "DeliveryId", self.delivery_id.as_str())?;
        leaf(w, "DeliveryDate", &self.date.format("%Y%m%d").to_string())?;
        leaf(w, "DeliveryAgent", &agent.name)?;
        leaf(w, "DeliveryAgentAckEmailAddress", agent.ack_email.as_str())?;
        w.create_element("DeliveryAgentContact")
            .write_inner_content(|w| {
                leaf(w, "DeliveryAgentContactName", &agent.contact_name)?;
                leaf(w, "DeliveryAgentContactEmail", agent.contact_email.as_str())?;
                leaf(w, "DeliveryAgentContactPhone", &agent.contact_phone)
            })?;
        optional(w, "Organization", self.organization.as_deref())?;
        leaf(w, "CampaignId", &self.campaign_id)
    }

    fn write_constituent(&self, w: &mut Xml) -> io::Result<()> {
        let c = &self.constituent;
        leaf(w, "Prefix", &c.prefix)?;
        leaf(w, "FirstName", &c.first_name)?;
        leaf(w, "LastName", &c.last_name)?;
        optional(w, "ConstituentOrganization", c.organization.as_deref())?;
        leaf(w, "Address1", &c.address1)?;
        optional(w, "Address2", c.address2.as_deref())?;
        leaf(w, "City", &c.city)?;
        leaf(w, "StateAbbreviation", c.state)?;
        leaf(w, "Zip", &c.zip)?;
        optional(w, "Phone", c.phone.as_deref())?;
        leaf(w, "Email", &c.email)
    }

    fn write_message(&self, w: &mut Xml) -> io::Result<()> {
        leaf(w, "Subject", &self.subject)?;
        w.create_element("LibraryOfCongressTopics")
            .write_inner_content(|w| leaf(w, "LibraryOfCongressTopic", self.topic.as_str()))?;
        // OrganizationStatement comes first when both are present.
        optional(
            w,
            "OrganizationStatement",
            self.organization_statement.as_deref(),
        )?;
        optional(w, "ConstituentMessage", self.constituent_message.as_deref())
    }
}

fn leaf(w: &mut Xml, name: &str, value: &str) -> io::Result<()> {
    let text = xml_chars(value);
    w.create_element(name)
        .write_text_content(BytesText::new(&text))?;
    Ok(())
}

fn optional(w: &mut Xml, name: &str, value: Option<&str>) -> io::Result<()> {
    match value {
        Some(value) => leaf(w, name, value),
        None => Ok(()),
    }
}

/// Replaces the few characters XML 1.0 cannot carry at all (control characters other than
/// tab and line breaks; escaping cannot represent them) with a line break or a space, so
/// words stay apart, and drops the noncharacters U+FFFE and U+FFFF.
fn xml_chars(value: &str) -> String {
    crate::text::without_controls(value)
        .chars()
        .filter(|c| !matches!(c, '\u{FFFE}' | '\u{FFFF}'))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_vertical_tab_or_form_feed_keeps_words_apart_in_the_xml() {
        assert_eq!(
            super::xml_chars("word processor\u{b}manual\u{c}page"),
            "word processor\nmanual\npage"
        );
        assert_eq!(super::xml_chars("a\u{1}b\u{FFFE}"), "a b");
    }
}
