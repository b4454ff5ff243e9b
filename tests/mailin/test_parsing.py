"""Reading real-world mail: encodings, HTML-only mail, quoted history and signatures."""

import pytest

from mailin.parsing import html_to_text, parse_mail, strip_reply


def raw(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode("latin-1")


def test_it_decodes_an_encoded_subject_and_a_latin1_quoted_printable_body():
    mail = parse_mail(
        raw(
            "From: =?iso-8859-1?Q?Jos=E9_N=FA=F1ez?= <jose@example.org>\n"
            "Subject: =?iso-8859-1?Q?La_impresora_no_imprime_?= =?iso-8859-1?Q?=BFqu=E9_hago=3F?=\n"
            "Message-ID: <latin1@example.org>\n"
            "MIME-Version: 1.0\n"
            'Content-Type: text/plain; charset="iso-8859-1"\n'
            "Content-Transfer-Encoding: quoted-printable\n"
            "\n"
            "La impresora del sal=F3n dice =93atasco=94 desde ayer.\n"
        )
    )
    assert mail.from_name == "José Núñez"
    assert mail.subject == "La impresora no imprime ¿qué hago?"
    # Labelled Latin-1, but the quotes are windows-1252's 0x93 / 0x94: decoded as such.
    assert mail.text == "La impresora del salón dice “atasco” desde ayer."


def test_it_reads_a_base64_windows_1252_html_only_mail():
    import base64

    html = "<html><head><style>p{color:red}</style><script>alert(1)</script></head><body>"
    html += "<p>Caf\xe9 \u2013 the <b>portal</b> shows an error.</p><p>See <a href='https://x.example/a'>this</a></p>"
    html += "<blockquote>old quoted text</blockquote></body></html>"
    body = base64.encodebytes(html.encode("cp1252")).decode()
    mail = parse_mail(
        raw(
            "From: a@example.org\nSubject: html\nMessage-ID: <h@example.org>\nMIME-Version: 1.0\n"
            "Content-Type: text/html; charset=windows-1252\nContent-Transfer-Encoding: base64\n\n" + body
        )
    )
    assert mail.text == "Café – the portal shows an error.\n\nSee this (https://x.example/a)"
    assert "alert" not in mail.text and "color" not in mail.text and "old quoted" not in mail.text


@pytest.mark.parametrize(
    "content_type, payload, expected",
    [
        ('text/plain; charset="x-made-up"', "caf\xe9".encode("latin-1"), "café"),
        ("text/plain; charset=utf-8", "caf\xe9".encode("latin-1"), "café"),  # wrong label
        ("text/plain", "café ✓".encode(), "café ✓"),  # no label, UTF-8 bytes
        ("text/plain; charset=utf-8", b"nul\x00byte", "nulbyte"),  # PostgreSQL refuses NUL
    ],
)
def test_it_survives_missing_and_wrong_charset_labels(content_type, payload, expected):
    head = f"From: a@example.org\r\nSubject: x\r\nContent-Type: {content_type}\r\n\r\n".encode()
    assert parse_mail(head + payload).text == expected


def test_it_survives_raw_8bit_headers_and_a_broken_encoded_word():
    mail = parse_mail(b"From: Ren\xc3\xa9 <rene@example.org>\r\nSubject: =?x-bogus?Q?caf=E9?= \xe9t\xe9\r\n\r\nhi\r\n")
    assert mail.from_email == "rene@example.org"
    assert "René" in mail.from_name
    assert "été" in mail.subject


def test_it_gives_a_mail_without_message_id_a_stable_one():
    mail = b"From: a@example.org\r\nSubject: x\r\n\r\nbody\r\n"
    assert parse_mail(mail).message_id == parse_mail(mail).message_id
    assert parse_mail(mail).message_id != parse_mail(mail + b"more").message_id


def test_it_lists_thread_ids_nearest_first():
    mail = parse_mail(b"From: a@example.org\r\nIn-Reply-To: <c@x>\r\nReferences: <a@x> <b@x>\r\n <c@x>\r\n\r\nhi\r\n")
    assert mail.thread_ids == ["<c@x>", "<b@x>", "<a@x>"]


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "Thanks, it works now.\n\nOn Wed, Dec 20, 2023 at 13:37, Help Desk <helpdesk@example.com> wrote:\n"
            "> We restarted the spooler.\n> Please check.\n",
            "Thanks, it works now.",
        ),
        (
            "Still broken.\n\n________________________________\nFrom: Help Desk <helpdesk@example.com>\n"
            "Sent: Monday, January 1, 2024 9:00 AM\nTo: Carla\nSubject: Re: Printer [CSD-1]\n\nOld text",
            "Still broken.",
        ),
        (
            "Gracias, ya funciona.\n\nEl mié, 20 dic 2023 a las 13:37, Help Desk (<helpdesk@example.com>) "
            "escribió:\n> Hola\n",
            "Gracias, ya funciona.",
        ),
        ("Here is the log.\n-- \nCarla Customer\nSunny Days Child Care\n", "Here is the log."),
        ("On my way.\n\nSent from my iPhone\n", "On my way."),
        ("Answer above\n\n-----Original Message-----\nFrom: x\nSent: y\n\nold", "Answer above"),
        # Real text is never cut: a line starting "Thanks," and a list stay.
        (
            "Hi,\nThanks, I tried that but it still fails.\n- step one\n- step two\n\nCarla",
            "Hi,\nThanks, I tried that but it still fails.\n- step one\n- step two\n\nCarla",
        ),
        ("> only a quote\n> nothing new\n", ""),
        ("", ""),
    ],
)
def test_it_strips_quoted_history_and_signatures(text, expected):
    assert strip_reply(text) == expected


def test_it_converts_html_lists_and_line_breaks():
    assert html_to_text("<div>One<br>Two</div><ul><li>a</li><li>b</li></ul>") == "One\nTwo\n\n- a\n\n- b"


def test_it_finds_attachments_with_encoded_names():
    mail = parse_mail(
        raw(
            "From: a@example.org\nSubject: files\nMIME-Version: 1.0\n"
            'Content-Type: multipart/mixed; boundary="b"\n\n'
            "--b\nContent-Type: text/plain\n\nsee attached\n"
            '--b\nContent-Type: text/plain; name="x.txt"\n'
            "Content-Disposition: attachment; filename*=iso-8859-1''r%E9sum%E9.txt\n\nfile body\n"
            "--b\nContent-Type: application/octet-stream\nContent-Disposition: attachment; "
            'filename="../../etc/passwd"\nContent-Transfer-Encoding: base64\n\naGk=\n'
            "--b--\n"
        )
    )
    assert mail.text == "see attached"
    assert [(a.filename, a.data) for a in mail.attachments] == [("résumé.txt", b"file body"), ("passwd", b"hi")]


@pytest.mark.parametrize(
    "from_lines, problem",
    [
        (["customer@example.org <outsider@example.org>"], "malformed"),
        (["<customer@example.org> outsider@example.org"], "malformed"),
        (["customer@example.org, outsider@example.org"], "several_addresses"),
        (["Team: customer@example.org, outsider@example.org;"], "group"),
        (["Team: customer@example.org;"], "group"),
        (["customer@example.org", "outsider@example.org"], "several_headers"),
        ([], "missing"),
    ],
)
def test_it_gives_no_sender_when_the_from_header_is_not_one_clear_address(from_lines, problem):
    head = "".join(f"From: {line}\n" for line in from_lines)
    mail = parse_mail(raw(head + "Subject: x\n\nhi\n"))
    assert (mail.from_email, mail.from_name, mail.from_problem) == ("", "", problem)


@pytest.mark.parametrize(
    "value, name, address",
    [
        ("Dr. Who <Who@Example.org>", "Dr. Who", "who@example.org"),
        ('"Smith, John" <js@example.org>', "Smith, John", "js@example.org"),
        ("=?utf-8?q?Smith=2C_J=C3=B6rg?= <js@example.org>", "Smith, Jörg", "js@example.org"),
        ("js@example.org (John)", "", "js@example.org"),
        # A name that is an address would only mislead whoever reads it.
        ('"boss@example.org" <js@example.org>', "", "js@example.org"),
    ],
)
def test_it_reads_one_clear_sender(value, name, address):
    mail = parse_mail(raw(f"From: {value}\nSubject: x\n\nhi\n"))
    assert (mail.from_name, mail.from_email, mail.from_problem) == (name, address, "")


def test_it_ignores_trace_headers_in_the_stable_id_of_a_mail_without_message_id():
    mail = b"From: a@example.org\r\nSubject: x\r\n\r\nbody\r\n"
    relayed = b"Received: from mx by us\r\n\tfor <a@example.org>\r\nDelivered-To: desk@example.org\r\n" + mail
    assert parse_mail(relayed).message_id == parse_mail(mail).message_id
    assert parse_mail(mail.replace(b"body", b"other")).message_id != parse_mail(mail).message_id


def test_it_looks_up_the_nearest_fifty_thread_ids_and_the_root():
    references = " ".join(f"<r{n}@x>" for n in range(5000))
    mail = parse_mail(
        f"From: a@example.org\r\nIn-Reply-To: <near@x>\r\nReferences: {references}\r\n\r\nhi\r\n".encode()
    )
    assert len(mail.thread_ids) == 50
    assert mail.thread_ids[:3] == ["<near@x>", "<r4999@x>", "<r4998@x>"]
    assert mail.thread_ids[-1] == "<r0@x>"  # the root of the thread, which clients always keep


def test_it_keeps_an_attached_mail_whole_as_one_file():
    mail = parse_mail(
        raw(
            "From: a@example.org\nSubject: fwd\nMIME-Version: 1.0\n"
            'Content-Type: multipart/mixed; boundary="b"\n\n'
            "--b\nContent-Type: text/plain\n\nsee below\n"
            "--b\nContent-Type: message/rfc822\n\n"
            "From: boss@example.org\nSubject: inner\nMIME-Version: 1.0\n"
            'Content-Type: multipart/mixed; boundary="c"\n\n'
            "--c\nContent-Type: text/plain\n\ninner text\n"
            '--c\nContent-Type: application/pdf\nContent-Disposition: attachment; filename="inner.pdf"\n\n%PDF-1.4\n'
            "--c--\n"
            "--b--\n"
        )
    )
    assert mail.text == "see below"
    assert [a.filename for a in mail.attachments] == ["forwarded.eml"]
    assert mail.attachments[0].content_type == "message/rfc822"
    assert b"inner text" in mail.attachments[0].data and b"inner.pdf" in mail.attachments[0].data


def test_it_reads_a_named_text_part_without_disposition_as_the_body_when_it_is_the_only_text():
    only = parse_mail(
        raw(
            "From: a@example.org\nSubject: x\nMIME-Version: 1.0\n"
            'Content-Type: multipart/mixed; boundary="b"\n\n'
            '--b\nContent-Type: text/plain; name="message.txt"\n\nthe body\n'
            '--b\nContent-Type: image/png; name="a.png"\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo=\n'
            "--b--\n"
        )
    )
    assert only.text == "the body"
    assert [a.filename for a in only.attachments] == ["a.png"]

    second = parse_mail(
        raw(
            "From: a@example.org\nSubject: x\nMIME-Version: 1.0\n"
            'Content-Type: multipart/mixed; boundary="b"\n\n'
            "--b\nContent-Type: text/plain\n\nthe body\n"
            '--b\nContent-Type: text/plain; name="log.txt"\n\nlog lines\n'
            "--b--\n"
        )
    )
    assert second.text == "the body"
    assert [a.filename for a in second.attachments] == ["log.txt"]


def test_it_prefers_plain_text_only_over_its_own_html_alternative():
    mail = parse_mail(
        raw(
            "From: a@example.org\nSubject: x\nMIME-Version: 1.0\n"
            'Content-Type: multipart/mixed; boundary="m"\n\n'
            '--m\nContent-Type: multipart/alternative; boundary="a"\n\n'
            "--a\nContent-Type: text/plain\n\nplain version\n"
            "--a\nContent-Type: text/html\n\n<p>html version</p>\n"
            "--a--\n"
            "--m\nContent-Type: text/html\n\n<p>a second, html-only part</p>\n"
            "--m--\n"
        )
    )
    assert mail.text == "plain version\n\na second, html-only part"


def test_it_keeps_other_text_files_as_attachments():
    mail = parse_mail(
        raw(
            "From: a@example.org\nSubject: x\nMIME-Version: 1.0\n"
            'Content-Type: multipart/mixed; boundary="b"\n\n'
            "--b\nContent-Type: text/plain\n\nthe body\n"
            '--b\nContent-Type: text/csv; name="rows.csv"\n\na,b\n'
            "--b\nContent-Type: text/calendar\nContent-Disposition: attachment\n\nBEGIN:VCALENDAR\n"
            "--b--\n"
        )
    )
    assert mail.text == "the body"
    assert [a.content_type for a in mail.attachments] == ["text/csv", "text/calendar"]
