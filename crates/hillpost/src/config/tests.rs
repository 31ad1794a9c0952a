use std::io::Write;

use secrecy::ExposeSecret;

use super::*;

fn env(pairs: &[(&str, &str)]) -> Option<Vec<(String, String)>> {
    Some(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

#[test]
fn the_documented_defaults_are_exactly_the_settings() {
    // deny_unknown_fields + no serde defaults: a key in the file without a field, or a field
    // without a key in the file, fails here.
    let settings = load(Sources {
        file: None,
        environment: env(&[]),
    })
    .expect("defaults load");
    assert_eq!(settings.database.url, "sqlite:hillpost.db");
    assert_eq!(settings.email.transport, EmailTransport::Outbox);
    assert_eq!(settings.retry.schedule.len(), 6);
    assert_eq!(settings.worker.lease, std::time::Duration::from_secs(60));
    assert!(settings.smtp.password.is_none());
    assert_eq!(settings.server.listen, "127.0.0.1:8080");
    assert_eq!(settings.server.metrics_listen, "");
}

#[test]
fn files_and_environment_override_in_order() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    writeln!(file, "[database]\nurl = \"postgres://localhost/h\"\n[rate_limits.overrides]\n\"mail.house.gov\" = \"10/s\"").unwrap();
    let settings = load(Sources {
        file: Some(file.path()),
        environment: env(&[
            ("HILLPOST__DATABASE__URL", "sqlite:other.db"),
            ("HILLPOST__WORKER__CAPACITY", "8"),
        ]),
    })
    .unwrap();
    assert_eq!(
        settings.database.url, "sqlite:other.db",
        "environment beats file"
    );
    assert_eq!(settings.worker.capacity, 8);
    assert_eq!(
        settings.rate_limits.overrides["mail.house.gov"].to_string(),
        "10/s"
    );
}

#[test]
fn mistakes_name_their_key() {
    let bad = |pairs: &[(&str, &str)]| {
        load(Sources {
            file: None,
            environment: env(pairs),
        })
        .unwrap_err()
        .to_string()
    };
    assert!(bad(&[("HILLPOST__EMAIL__FROM_ADDRESS", "nobody")]).contains("email.from_address"));
    assert!(bad(&[("HILLPOST__RETRY__JITTER", "3")]).contains("retry.jitter"));
    assert!(bad(&[("HILLPOST__RATE_LIMITS__DEFAULT", "fast")]).contains("not a rate"));
    assert!(bad(&[("HILLPOST__WORKER__LEASE", "soon")]).contains("not a duration"));
    assert!(bad(&[("HILLPOST__DATABASE__URL", "mysql://x")]).contains("database.url"));
}

#[test]
fn a_password_in_a_file_is_refused_and_one_from_the_environment_is_redacted() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    writeln!(file, "[smtp]\npassword = \"hunter2\"").unwrap();
    let error = load(Sources {
        file: Some(file.path()),
        environment: env(&[]),
    })
    .unwrap_err();
    assert!(
        matches!(
            error,
            ConfigError::SecretInFile {
                key: "smtp.password",
                ..
            }
        ),
        "{error}"
    );
    assert!(!error.to_string().contains("hunter2"));

    let settings = load(Sources {
        file: None,
        environment: env(&[("HILLPOST__SMTP__PASSWORD", "hunter2")]),
    })
    .unwrap();
    assert_eq!(
        settings.smtp_password().unwrap().unwrap().expose_secret(),
        "hunter2"
    );
    assert!(
        !format!("{settings:?}").contains("hunter2"),
        "Debug must not show the password"
    );
    let digits = load(Sources {
        file: None,
        environment: env(&[("HILLPOST__SMTP__PASSWORD", "0123")]),
    })
    .unwrap();
    assert_eq!(
        digits.smtp_password().unwrap().unwrap().expose_secret(),
        "0123",
        "kept as text"
    );
}

#[test]
fn a_password_file_is_read_and_a_missing_one_is_named() {
    let mut secret = tempfile::NamedTempFile::new().unwrap();
    writeln!(secret, "s3cret\nignored").unwrap();
    let path = secret.path().display().to_string();
    let settings = load(Sources {
        file: None,
        environment: env(&[("HILLPOST__SMTP__PASSWORD_FILE", &path)]),
    })
    .unwrap();
    assert_eq!(
        settings.smtp_password().unwrap().unwrap().expose_secret(),
        "s3cret"
    );

    let error = load(Sources {
        file: None,
        environment: env(&[
            ("HILLPOST__EMAIL__TRANSPORT", "smtp"),
            ("HILLPOST__SMTP__PASSWORD_FILE", "/nonexistent/pw"),
        ]),
    })
    .unwrap_err();
    assert!(error.to_string().contains("smtp.password_file"), "{error}");
}

#[test]
fn directory_addresses_are_checked_and_become_resolve_settings() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    writeln!(
        file,
        "[directory.office_email]\nR000584 = \"risch@senate.example\"\n[directory.committee_mailbox]\nHSFA = \"staff@house.example\""
    )
    .unwrap();
    let settings = load(Sources {
        file: Some(file.path()),
        environment: env(&[]),
    })
    .expect("loads");
    let resolve = settings.directory.resolve_settings();
    assert_eq!(
        resolve.office_emails["R000584"].as_str(),
        "risch@senate.example"
    );
    assert_eq!(
        resolve.committee_mailboxes["HSFA"].key,
        "committee:HSFA:staff"
    );
    assert!(resolve.president_email.is_none());

    for (text, key) in [
        (
            "[directory.office_email]\nrisch = \"a@b.example\"",
            "directory.office_email",
        ),
        (
            "[directory.office_email]\nR000584 = \"not an email\"",
            "directory.office_email",
        ),
        (
            "[directory.committee_mailbox]\n\"HS-FA\" = \"a@b.example\"",
            "directory.committee_mailbox",
        ),
    ] {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(file, "{text}").unwrap();
        let error = load(Sources {
            file: Some(file.path()),
            environment: env(&[]),
        })
        .unwrap_err();
        assert!(error.to_string().contains(key), "{text}: {error}");
    }
}

#[test]
fn receipts_need_a_public_url() {
    let load_env = |pairs: &[(&str, &str)]| {
        load(Sources {
            file: None,
            environment: env(pairs),
        })
    };
    let defaults = load_env(&[]).unwrap();
    assert_eq!(defaults.receipt_base_url(), None, "off by default");
    let error = load_env(&[("HILLPOST__RECEIPTS__ENABLED", "true")]).unwrap_err();
    assert!(error.to_string().contains("receipts.enabled"), "{error}");
    let error = load_env(&[("HILLPOST__SERVER__PUBLIC_URL", "letters.example.org")]).unwrap_err();
    assert!(error.to_string().contains("server.public_url"), "{error}");
    let on = load_env(&[
        ("HILLPOST__RECEIPTS__ENABLED", "true"),
        (
            "HILLPOST__SERVER__PUBLIC_URL",
            "https://letters.example.org/",
        ),
    ])
    .unwrap();
    assert_eq!(on.receipt_base_url(), Some("https://letters.example.org"));
}

fn cwc_env(extra: &[(&str, &str)]) -> Option<Vec<(String, String)>> {
    let mut pairs = vec![
        ("HILLPOST__CWC__ENABLED", "true"),
        ("HILLPOST__CWC__API_KEY", "cwc-secret-key"),
        ("HILLPOST__CWC__DELIVERY_AGENT", "Hillpost Org"),
        ("HILLPOST__CWC__ACK_EMAIL", "acks@example.org"),
        ("HILLPOST__CWC__CONTACT_NAME", "Ops Person"),
        ("HILLPOST__CWC__CONTACT_EMAIL", "ops@example.org"),
        ("HILLPOST__CWC__CONTACT_PHONE", "202-555-0100"),
        ("HILLPOST__CWC__CONSTITUENT_PREFIX", "Ms."),
    ];
    pairs.extend_from_slice(extra);
    env(&pairs)
}

#[test]
fn cwc_is_off_by_default_and_checked_as_a_whole_when_on() {
    let defaults = load(Sources {
        file: None,
        environment: env(&[]),
    })
    .unwrap();
    assert!(!defaults.cwc.enabled);
    assert_eq!(defaults.cwc.maintenance.len(), 3);
    assert!(defaults.cwc.channel_settings().unwrap().is_none());

    let settings = load(Sources {
        file: None,
        environment: cwc_env(&[(
            "HILLPOST__CWC__MAINTENANCE",
            "house daily 00:00-06:00;senate sun 00:00-06:00",
        )]),
    })
    .unwrap();
    let (cwc, egress) = settings.cwc.channel_settings().unwrap().unwrap();
    assert_eq!(cwc.api_key.expose_secret(), "cwc-secret-key");
    assert_eq!(cwc.message.topic.as_str(), "International Affairs");
    assert_eq!(egress.request_timeout, std::time::Duration::from_secs(30));
    assert_eq!(egress.allowed_hosts, ["*.house.gov", "*.senate.gov"]);
    assert!(!egress.allow_private_addresses);
    assert!(!format!("{:?}", settings.cwc).contains("cwc-secret-key"));

    let bad = |extra: &[(&str, &str)]| {
        load(Sources {
            file: None,
            environment: cwc_env(extra),
        })
        .unwrap_err()
        .to_string()
    };
    assert!(bad(&[("HILLPOST__CWC__TOPIC", "Foreign Policy")]).contains("cwc.topic"));
    assert!(
        bad(&[("HILLPOST__CWC__CONTACT_PHONE", "12345")]).contains("DeliveryAgentContactPhone")
    );
    assert!(bad(&[("HILLPOST__CWC__MAINTENANCE", "house nightly")]).contains("cwc.maintenance"));
    assert!(bad(&[("HILLPOST__CWC__CONSTITUENT_PREFIX", " ")]).contains("cwc.constituent_prefix"));
    let off_the_list = bad(&[("HILLPOST__CWC__HOUSE_URL", "https://cwc.example.org")]);
    assert!(
        off_the_list.contains("cwc.house_url")
            && off_the_list.contains("`cwc.example.org` is not on the egress allow-list"),
        "{off_the_list}"
    );
    assert!(
        bad(&[("HILLPOST__CWC__SENATE_URL", "https://soapbox.example.org")])
            .contains("cwc.senate_url")
    );
    let keyless: Vec<(String, String)> = cwc_env(&[])
        .unwrap()
        .into_iter()
        .filter(|(k, _)| k != "HILLPOST__CWC__API_KEY")
        .collect();
    let error = load(Sources {
        file: None,
        environment: Some(keyless),
    })
    .unwrap_err();
    assert!(error.to_string().contains("cwc.api_key"), "{error}");
}

#[test]
fn a_cwc_key_in_a_file_is_refused() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    writeln!(file, "[cwc]\napi_key = \"cwc-secret-key\"").unwrap();
    let error = load(Sources {
        file: Some(file.path()),
        environment: env(&[]),
    })
    .unwrap_err();
    assert!(
        error.to_string().contains("HILLPOST__CWC__API_KEY"),
        "{error}"
    );
    assert!(!error.to_string().contains("cwc-secret-key"));
}

/// RFC 8032's first test seed: a usable Ed25519 key that is no one's secret.
const TEST_SEED: &str = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";

#[test]
fn a_dkim_key_in_a_file_is_refused_and_one_from_a_key_file_signs() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    writeln!(file, "[dkim]\nprivate_key = \"{TEST_SEED}\"").unwrap();
    let error = load(Sources {
        file: Some(file.path()),
        environment: env(&[]),
    })
    .unwrap_err();
    assert!(
        matches!(
            error,
            ConfigError::SecretInFile {
                key: "dkim.private_key",
                ..
            }
        ),
        "{error}"
    );
    assert!(!error.to_string().contains(TEST_SEED));

    let mut key = tempfile::NamedTempFile::new().unwrap();
    writeln!(key, "{TEST_SEED}").unwrap();
    let path = key.path().display().to_string();
    let settings = load(Sources {
        file: None,
        environment: env(&[
            ("HILLPOST__DKIM__ENABLED", "true"),
            ("HILLPOST__DKIM__PRIVATE_KEY_FILE", &path),
            ("HILLPOST__EMAIL__FROM_ADDRESS", "letters@Example.org"),
            ("HILLPOST__EMAIL__BOUNCE_DOMAIN", "bounce.example.org"),
        ]),
    })
    .unwrap();
    let dkim = settings.dkim_settings().unwrap().expect("enabled");
    assert_eq!(dkim.domain, "Example.org", "the From address's domain");
    assert_eq!(dkim.private_key.expose_secret().trim(), TEST_SEED);
    assert!(!format!("{settings:?} {dkim:?}").contains(TEST_SEED));
    let identity = crate::channels::identity(&settings).unwrap();
    assert!(identity.dkim().is_some());
    assert_eq!(
        identity.envelope_sender("abc").unwrap().to_string(),
        "bounces+abc@bounce.example.org"
    );

    let error = load(Sources {
        file: None,
        environment: env(&[("HILLPOST__DKIM__ENABLED", "true")]),
    })
    .unwrap()
    .dkim_settings()
    .unwrap_err();
    assert!(
        error.to_string().contains("dkim.private_key_file"),
        "{error}"
    );
}

#[test]
fn the_signing_key_is_read_from_a_key_file_or_the_environment_never_the_config_file() {
    let pem = hillpost_core::audit::SigningKey::from_seed([5; 32]).to_pem();
    let mut file = tempfile::NamedTempFile::new().unwrap();
    writeln!(file, "[signing]\nkey = \"\"\"{pem}\"\"\"").unwrap();
    let error = load(Sources {
        file: Some(file.path()),
        environment: env(&[]),
    })
    .unwrap_err();
    assert!(
        matches!(
            error,
            ConfigError::SecretInFile {
                key: "signing.key",
                ..
            }
        ),
        "{error}"
    );
    assert!(!error.to_string().contains("PRIVATE KEY"));

    let none = load(Sources {
        file: None,
        environment: env(&[]),
    })
    .unwrap();
    assert!(none.signing_key().unwrap().is_none());

    let mut key = tempfile::NamedTempFile::new().unwrap();
    write!(key, "{pem}").unwrap();
    let path = key.path().display().to_string();
    let from_file = load(Sources {
        file: None,
        environment: env(&[("HILLPOST__SIGNING__KEY_FILE", &path)]),
    })
    .unwrap();
    let from_env = load(Sources {
        file: None,
        environment: env(&[("HILLPOST__SIGNING__KEY", &pem)]),
    })
    .unwrap();
    let public = |s: &Settings| s.signing_key().unwrap().expect("a key").public();
    assert_eq!(public(&from_file), public(&from_env));
    assert!(!format!("{from_env:?}").contains("PRIVATE KEY"));

    let garbage = load(Sources {
        file: None,
        environment: env(&[("HILLPOST__SIGNING__KEY", "not a key")]),
    })
    .unwrap()
    .signing_key()
    .unwrap_err();
    assert!(
        garbage.to_string().contains("HILLPOST__SIGNING__KEY"),
        "{garbage}"
    );
}
