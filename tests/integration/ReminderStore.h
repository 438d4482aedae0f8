#pragma once
// The store of the reminder tests (reminder_tests, reminder_page_tests): three customers whose
// names try to break out of HTML and mail headers, a product named like a script, and the
// daemon configured for the outbox or SMTP provider with the shipped templates.
#include "Harness.h"
#include "ScenarioBuilder.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace acd::test::reminders {

inline const std::string Daemon = binaryPath("abandoned-cartd");
inline constexpr std::int64_t Hostile = 68719476736;
inline constexpr std::int64_t Socks = 68719476737;

inline const std::string HostileName = "<script>alert(1)</script> \"Quoted\" & Co";
inline const std::string HostileEscaped = "&lt;script&gt;alert(1)&lt;/script&gt; &quot;Quoted&quot; &amp; Co";
inline const std::string From = "Contoso Outdoor <shop@contoso.example>";
inline const std::string SmtpUser = "mailer";
inline const std::string SmtpPassword = "pw-5mtp-S3cret-47119";

struct Person
{
    std::string cart;
    std::string account;
    std::string first;
    std::string last;
    std::string email;
    std::string language;
    std::vector<std::pair<std::int64_t, int>> lines; // product, quantity
};

inline const Person Zoe{.cart = "cart-zoe",
                        .account = "C1",
                        .first = "Zoë <b>\"Bold\"</b>",
                        .last = "Ångström",
                        .email = "zoe@example.com",
                        .language = "en-us",
                        .lines = {{Hostile, 1}, {Socks, 2}}};
inline const Person Alan{.cart = "cart-alan",
                         .account = "C2",
                         .first = "Alan",
                         .last = "Turing",
                         .email = "alan@example.com",
                         .language = "fr-fr",
                         .lines = {{Socks, 1}}};
// A line break in a name must not start a header of its own.
inline const Person Grace{.cart = "cart-grace",
                          .account = "C3",
                          .first = "Grace",
                          .last = "Hopper\r\nBcc: intruder@example.net",
                          .email = "grace@example.com",
                          .language = "en-gb",
                          .lines = {{Hostile, 1}}};
inline const std::vector<Person> Everyone{Zoe, Alan, Grace};

inline std::string price(std::int64_t product)
{
    return product == Hostile ? "1249.50" : "12.00";
}

/// One store: the three people above, each with one cart abandoned an hour ago; the hostile
/// product costs €1,249.50, the socks €12.00; both images are relative (resized by the
/// image server).
inline std::string writeScenario(const TempDir& dir)
{
    ScenarioBuilder store;
    store.product(Hostile, HostileName, price(Hostile), "Products/hostile.png")
        .product(Socks, "Wool Socks", price(Socks), "Products/socks.png");
    for (const Person& person : Everyone)
    {
        std::vector<ScenarioBuilder::Line> lines;
        for (const auto& [product, quantity] : person.lines)
            lines.push_back({product, quantity, price(product)});
        store.customer(person.account, person.first, person.last, person.email, person.language)
            .cartWith(person.cart, person.account, 60, lines);
    }
    return store.write(dir);
}

struct Notification
{
    std::string status;
    std::string provider;
    std::string triggerId;
    std::string reason;
};

/// The simulated store and the daemon's configuration: the outbox or SMTP provider, the
/// shipped templates, an unsubscribe link with {email} and {token}.
struct Store
{
    explicit Store(const std::map<std::string, std::string>& overrides)
        : sim(writeScenario(dir)), config(writeConfig(dir, sim, withReminderKeys(overrides)))
    {}

    void reconfigure(const std::map<std::string, std::string>& overrides)
    {
        config = writeConfig(dir, sim, withReminderKeys(overrides));
    }

    static std::map<std::string, std::string>
    withReminderKeys(const std::map<std::string, std::string>& overrides)
    {
        std::map<std::string, std::string> keys{
            {"notify.templatesDir", sourcePath("conf/templates")},
            {"notify.unsubscribeUrl", "https://shop.example.com/unsubscribe?email={email}&token={token}"},
            {"smtp.from", From},
            {"emarsys.externalEventId", ""},
            {"emarsys.apiUserNameSecretName", ""},
            {"emarsys.apiSecretSecretName", ""},
        };
        for (const auto& [key, value] : overrides)
            keys[key] = value;
        return keys;
    }

    RunResult once(const std::map<std::string, std::string>& extraEnv = {}) const
    {
        auto env = simSecrets();
        for (const auto& [name, value] : extraEnv)
            env[name] = value;
        return runProgram(Daemon, {"--config=" + config, "--once"}, env, 60);
    }

    std::map<std::string, Notification> ledger() const
    {
        SQLite::Database db(dir.file("ledger.sqlite"));
        SQLite::Statement q(db, "SELECT cart_id, status, coalesce(provider, ''), trigger_id, "
                                "coalesce(reason, '') FROM notifications");
        std::map<std::string, Notification> rows;
        while (q.executeStep())
            rows[q.getColumn(0).getString()] = {q.getColumn(1).getString(), q.getColumn(2).getString(),
                                                q.getColumn(3).getString(), q.getColumn(4).getString()};
        return rows;
    }

    std::string ledgerBytes() const { return sqliteFileBytes(dir.file("ledger.sqlite")); }

    TempDir dir;
    CommerceSim sim;
    std::string config;
};

inline std::size_t occurrences(const std::string& text, const std::string& what)
{
    std::size_t n = 0;
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size()))
        ++n;
    return n;
}

} // namespace acd::test::reminders
