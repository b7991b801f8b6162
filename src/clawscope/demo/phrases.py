"""Texts the demo's people, agents and tools say: plain data, picked by the seeded generator.

Texts are ordinary prose so that transcripts read like a personal assistant's history and compress
like real ones (which decides which SQLite-era rows are stored zstd-compressed). The heartbeat
prompt is OpenClaw's default, verbatim.
"""

from __future__ import annotations

HEARTBEAT_PROMPT = (
    "Read HEARTBEAT.md if it exists (workspace context). Follow it strictly. Do not infer or repeat old "
    "tasks from prior chats. If nothing needs attention, reply HEARTBEAT_OK."
)
HEARTBEAT_OK = "HEARTBEAT_OK"

HEARTBEAT_ALERTS = (
    "Heads up: the nightly backup to the NAS did not finish (last run exited with code 1). Want me to retry "
    "it?",
    "Reminder from HEARTBEAT.md: the dentist appointment is tomorrow at 09:30. I added it to today's notes.",
    "The disk on the home server is at 91%. The largest folder is ~/downloads (38 GB).",
    "Two unread emails look urgent: the invoice from the accountant and the school newsletter about Friday.",
)

# (what the owner asks, what the agent finally answers)
CHATS = (
    (
        "Can you check whether the backup job ran last night?",
        "Done. The backup finished at 03:12 and all 4 volumes verified.",
    ),
    (
        "Summarise the three most recent notes in memory about the kitchen renovation.",
        "Here's the summary: the cabinets arrive on the 14th, the electrician is booked for the 16th, and "
        "the "
        "countertop quote is still pending.",
    ),
    (
        "What's the weather going to be like in Lisbon this weekend?",
        "Saturday looks sunny with a high of 24°C; Sunday has a 40% chance of showers in the afternoon.",
    ),
    (
        "Find the cheapest train from Berlin to Hamburg on Friday morning.",
        "I found three options; the 07:46 ICE is the cheapest at €29.90 with a saver fare.",
    ),
    (
        "Please draft a short reply to Anna saying I can do Thursday at 3pm.",
        'Draft ready: "Hi Anna, Thursday at 3pm works for me. See you then!" Want me to send it?',
    ),
    (
        "Look up the latest release notes for Home Assistant and tell me if anything breaks my setup.",
        "Nothing in the release affects your setup, except that the MQTT discovery prefix is now "
        "configurable.",
    ),
    ("How much disk space is left on the server?", "There are 212 GB free on /srv (61% used)."),
    (
        "Rename the photos in ~/Pictures/2026-trip to include the date.",
        "Renamed 148 photos; the new names look like 2026-08-14_lisbon_0031.jpg.",
    ),
    ("Add 'buy oat milk' and 'call the plumber' to my todo list.", "Added both items to your todo list."),
    (
        "What did we decide about the Q3 budget last week?",
        "You agreed to keep the Q3 budget flat and revisit the marketing line in October.",
    ),
    (
        "Check if the blog builds cleanly and fix any broken links.",
        "The build is clean now; I fixed two broken links in posts/2026-03-solar.md.",
    ),
    (
        "Compare the two offers for the solar panels in ~/docs/offers and tell me which is better.",
        "Offer B is better: 11% cheaper per kWp and it includes the inverter warranty extension.",
    ),
    (
        "Pull the latest changes in ~/code/garden-bot and run the tests.",
        "All tests pass (42 passed, 1 skipped) after pulling 6 new commits.",
    ),
    (
        "Write a haiku about our cat ignoring the new scratching post.",
        "Whiskers inspects the post / sniffs once, walks away, sleeps / on the cardboard box.",
    ),
    (
        "Convert the meeting notes from this morning into action items.",
        "Action items: 1) Dana sends the draft by Wednesday, 2) Ben books the room, 3) I follow up with IT.",
    ),
    (
        "Why is the living-room sensor reporting 45 degrees?",
        "The sensor's battery is at 3%; low batteries make that model report nonsense. Replace it and it "
        "should "
        "settle.",
    ),
    (
        "Can you research good beginner climbing gyms near Kreuzberg?",
        "Three good options: Der Kegel, Ostbloc and Magic Mountain; Magic Mountain runs beginner courses "
        "twice a "
        "week.",
    ),
    (
        "Book a reminder for the car inspection in two weeks.",
        "Reminder set for the car inspection on the 2nd at 09:00.",
    ),
)

CHANNEL_SENDERS = ("Anna", "Ben", "Chris", "Dana", "Eli", "Farah", "Gus", "Hana")
CHANNEL_CHATS = (
    (
        "@claw what time does the pool open on Sunday?",
        "The pool opens at 08:00 on Sundays and closes at 18:00.",
    ),
    (
        "@claw can you add the receipts from today to the shared budget sheet?",
        "Added 3 receipts (€41.20 total) to the budget sheet under September.",
    ),
    (
        "@claw summarise what we said about the trip so far",
        "So far: train on the 12th, two nights in Porto, Eli books the apartment, budget €300 each.",
    ),
    (
        "@claw is the build on main green again?",
        "Yes, main is green again since the fix to the flaky valve test.",
    ),
    (
        "@claw who's bringing what to the barbecue? make a list",
        "Barbecue list: Anna salads, Ben drinks, Chris grill and charcoal, Dana dessert.",
    ),
    (
        "@claw find a recipe for vegan lasagne that takes under an hour",
        "Found one: lentil-mushroom lasagne, 50 minutes, serves 4; I pinned the link.",
    ),
    (
        "@claw remind everyone about the standup moved to 10:30",
        "Reminder posted: standup is at 10:30 from tomorrow.",
    ),
    ("@claw what's the status of the deploy?", "The deploy finished at 14:02; all health checks pass."),
)

# (job name, prompt, typical result)
CRON_JOBS = (
    (
        "morning-briefing",
        "Prepare my morning briefing: weather, calendar, and anything urgent in email.",
        "Good morning: 18°C and cloudy, two meetings (10:30 standup, 15:00 dentist), nothing urgent in "
        "email.",
    ),
    (
        "inbox-triage",
        "Check the inbox for anything urgent and summarise it in one paragraph.",
        "Nothing urgent: 12 new emails, mostly newsletters; the accountant confirmed receipt of the "
        "invoices.",
    ),
    (
        "backup-check",
        "Verify last night's backups and report any failures.",
        "All backups completed: 4 volumes, 2.1 GB changed, offsite copy verified.",
    ),
    (
        "weekly-review",
        "Write the weekly review from this week's notes and open tasks.",
        "Weekly review written to memory/weekly.md: 9 tasks done, 4 carried over, 1 blocked on the landlord.",
    ),
    (
        "price-watch",
        "Check the price of the espresso machine on the three shops in NOTES.md.",
        "Lowest price today: €489 at the second shop (down €30 since last week).",
    ),
)

# (task, result)
SUBAGENT_TASKS = (
    (
        "Research the three best-reviewed robot vacuums under €400 and summarise pros and cons.",
        "Top three: Roborock Q7 (best mapping), Eufy X8 (quietest), Dreame D10 (cheapest); all under €400.",
    ),
    (
        "Go through ~/code/garden-bot/tests and list the flaky tests with a one-line cause each.",
        "Two flaky tests: test_close_on_rain (real clock), test_mqtt_reconnect (fixed sleep of 0.1 s).",
    ),
    (
        "Read the last 20 emails from the school and extract all dates into a list.",
        "Dates: 12 Sep parents' evening, 19 Sep photo day, 3 Oct trip to the zoo, 24 Oct autumn break "
        "starts.",
    ),
    (
        "Compare electricity tariffs for 3,500 kWh/year in our postcode.",
        "Cheapest green tariff: €1,041/year (29.7 ct/kWh, €12 base fee); switching saves about €180.",
    ),
    (
        "Draft a packing list for a four-day hiking trip in the Alps in September.",
        "Packing list drafted in NOTES.md: layers, rain shell, first-aid kit, hut sleeping bag liner, 2 L "
        "water.",
    ),
    (
        "Audit ~/docs/taxes-2025 and list the receipts that are missing for the tax return.",
        "Missing receipts: the March craftsman invoice, the home-office chair, and two donation "
        "confirmations.",
    ),
)

API_CHATS = (
    (
        "Classify this support ticket: 'my order arrived damaged'",
        "Category: shipping damage. Priority: normal.",
    ),
    (
        "Summarise the following changelog in two sentences.",
        "The release adds offline mode and fixes two sync bugs. It also drops support for the old export "
        "format.",
    ),
    (
        "Extract the invoice number and total from: INV-2291, total due EUR 412.50",
        '{"invoice": "INV-2291", "total": 412.5, "currency": "EUR"}',
    ),
    ("hello via http api", "Hello! How can I help?"),
)

ERROR_MESSAGES = (
    "500 Internal Server Error",
    '500 {"type":"error","error":{"type":"api_error","message":"Internal server error"}}',
    "500 upstream connect error or disconnect/reset before headers",
    "429 Rate limit reached for requests",
    "fetch failed",
)

PARAGRAPHS = (
    "The renovation plan covers the kitchen, the hallway and the small bathroom upstairs. Cabinets are "
    "ordered from the workshop in Potsdam and should arrive in the second week of the month.",
    "Backups run nightly at 03:00 to the NAS in the basement and weekly to the offsite bucket. The "
    "retention policy keeps 14 daily, 8 weekly and 12 monthly snapshots.",
    "Meeting notes: the team agreed to move the standup to 10:30, to review the budget in October, and "
    "to try the new on-call rotation for one month before deciding.",
    "The garden bot waters the raised beds when soil moisture drops below 30% and skips watering when "
    "rain is forecast within the next six hours.",
    "Home Assistant release notes mention breaking changes for the legacy MQTT discovery, the removal of "
    "the YAML configuration for the weather integration, and a new energy dashboard.",
    "Train options from Berlin Hbf to Hamburg Hbf on Friday: 07:46 ICE 1006 (1h 44m), 08:46 ICE 1008 "
    "(1h 42m), 09:08 IC 2072 (2h 5m). Saver fares start at 29.90 EUR.",
    "The solar offer from Sonnenwerk lists 9.8 kWp on the south roof, a 10 kWh battery and a 12-year "
    "warranty. The offer from Dachstrom lists 10.2 kWp without a battery.",
    "Climbing gyms near Kreuzberg: Der Kegel (bouldering and ropes), Ostbloc (large bouldering area), "
    "and Magic Mountain (beginner courses every Tuesday and Thursday evening).",
)

EXEC_COMMANDS = (
    (
        "df -h /srv",
        "Filesystem      Size  Used Avail Use% Mounted on\n/dev/sda1       550G  338G  212G  61% /srv",
    ),
    (
        "systemctl status restic-backup --no-pager",
        "● restic-backup.service - Nightly backup\n     Loaded: loaded\n"
        "     Active: inactive (dead) since Tue 03:12:44 CET; 6h ago\n    Process: 4121 "
        "ExecStart=/usr/local/bin/backup"
        " (code=exited, status=0/SUCCESS)",
    ),
    (
        "git -C ~/code/garden-bot pull --ff-only",
        "Updating 3f2a91c..8d04e17\nFast-forward\n src/water.py | 12 ++++--",
    ),
    ("pytest -q", "..........................................\n42 passed, 1 skipped in 3.81s"),
    ("ls ~/Pictures/2026-trip | wc -l", "148"),
    ("uptime", " 09:14:02 up 41 days,  3:12,  1 user,  load average: 0.21, 0.18, 0.12"),
    ("docker ps --format '{{.Names}}'", "homeassistant\nmosquitto\nzigbee2mqtt\nrestic-server"),
)

FAILED_COMMANDS = (
    ("npm run build", "Error: Cannot find module 'astro'\nRequire stack:\n- /home/claw/blog/build.mjs", 1),
    ("systemctl restart restic-backup", "Failed to restart restic-backup.service: Access denied", 4),
    (
        "pytest -q tests/test_valves.py",
        "F.\nFAILED tests/test_valves.py::test_close_on_rain - AssertionError",
        1,
    ),
)

MISSING_FILES = (
    "~/docs/offers/offer-c.pdf",
    "NOTES.md",
    "~/code/garden-bot/config.local.yaml",
    "HEARTBEAT.md",
)

URLS = (
    "https://www.home-assistant.io/blog/2026/09/03/release-20269/",
    "https://int.bahn.de/en/offers/saver-fare",
    "https://www.dwd.de/EN/weather/forecasts/",
    "https://news.ycombinator.com/item?id=41234567",
    "https://www.stiftung-warentest.de/tests/saugroboter",
)
