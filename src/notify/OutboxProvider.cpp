#include "notify/OutboxProvider.h"

#include "core/Email.h"
#include "notify/MimeMessage.h"
#include "platform/Files.h"

#include <Poco/DirectoryIterator.h>
#include <Poco/Exception.h>
#include <Poco/File.h>
#include <Poco/FileStream.h>
#include <Poco/Path.h>
#include <Poco/String.h>

#include <set>
#include <stdexcept>
#include <system_error>

namespace acd {

namespace {

/// trigger_ids become file names: only what is safe in every file system, no hidden names.
bool isSafeFileStem(const std::string& id)
{
    if (id.empty() || id.front() == '.' || id.size() > 200)
        return false;
    for (const char c : id)
    {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.')
            return false;
    }
    return true;
}

/// The file holds a name and an address: owner-only, and never seen half written.
void writeOutboxFile(const std::string& dir, const std::string& fileName, std::string_view content)
{
    const std::string target = Poco::Path(dir, fileName).toString();
    try
    {
        writeFileAtomically(target, content);
    }
    catch (const std::system_error& e)
    {
        throw std::runtime_error("cannot write " + target + ": " + e.what());
    }
}

/// The address in the To header of an .eml file we wrote; "" when it has none. Read raw:
/// Poco's MessageHeader would decode the display name, which may itself hold '<' and '>'.
std::string recipientOf(const std::string& path)
{
    Poco::FileInputStream in(path);
    std::string to;
    bool inTo = false;
    for (std::string line; std::getline(in, line);)
    {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line.empty())
            break;
        if (line.front() == ' ' || line.front() == '\t')
        {
            if (inTo)
                to += line;
            continue;
        }
        if (inTo)
            break;
        inTo = Poco::icompare(line.substr(0, 3), "to:") == 0;
        if (inTo)
            to = line.substr(3);
    }
    return headerAddress(to);
}

void removeIfPresent(const std::string& path)
{
    try
    {
        Poco::File file(path);
        if (file.exists())
            file.remove();
    }
    catch (const Poco::Exception& e)
    {
        throw std::runtime_error("cannot delete " + path + ": " + e.displayText());
    }
}

} // namespace

OutboxProvider::OutboxProvider(OutboxOptions options)
    : _options(std::move(options)), _renderer(_options.rendering)
{
    if (_options.dir.empty())
        throw std::invalid_argument("outbox.dir is empty: expected the folder that receives the .eml files");
    try
    {
        Poco::File(_options.dir).createDirectories();
    }
    catch (const Poco::Exception& e)
    {
        throw std::invalid_argument("outbox.dir = \"" + _options.dir +
                                    "\": cannot create the folder: " + e.displayText());
    }
    if (!Poco::File(_options.dir).isDirectory() || !Poco::File(_options.dir).canWrite())
        throw std::invalid_argument("outbox.dir = \"" + _options.dir +
                                    "\": expected a folder this user can write");
}

void OutboxProvider::deliver(const std::vector<Reminder>& reminders, Timestamp deadline,
                             DeliveryJournal& journal)
{
    // A file is named by its trigger id and never written twice: the whole batch may be on its
    // way at once, and what a crash interrupts is found written, or written, the next time.
    std::vector<std::int64_t> ids;
    ids.reserve(reminders.size());
    for (const Reminder& reminder : reminders)
        ids.push_back(reminder.notificationId);
    journal.sending(ids);
    std::vector<DeliveryResult> results;
    results.reserve(reminders.size());
    for (const Reminder& reminder : reminders)
    {
        if (Timestamp::now() >= deadline)
            results.push_back({reminder.notificationId, DeliveryStatus::Retry,
                               "delivery deadline reached before this reminder was written"});
        else
            results.push_back(deliverOne(reminder));
    }
    journal.answered(results);
}

DeliveryResult OutboxProvider::deliverOne(const Reminder& reminder)
{
    DeliveryResult result{reminder.notificationId, DeliveryStatus::Rejected, ""};
    if (!isSafeFileStem(reminder.triggerId))
    {
        result.detail = "the trigger_id cannot be a file name (letters, digits, '-', '_' and '.' only)";
        return result;
    }
    const std::string emlName = reminder.triggerId + ".eml";
    const std::string htmlName = reminder.triggerId + ".html";
    const bool written = Poco::File(Poco::Path(_options.dir, emlName)).exists();
    const bool htmlWritten = Poco::File(Poco::Path(_options.dir, htmlName)).exists();
    if (written && htmlWritten)
        return {reminder.notificationId, DeliveryStatus::Sent, "already in the outbox: " + emlName};

    ComposedReminder composed;
    try
    {
        composed = composeReminder(_renderer, reminder, _options.from);
    }
    catch (const std::invalid_argument& e)
    {
        result.detail = e.what();
        return result;
    }
    try
    {
        // The .eml is what counts as sent, so it goes first; a missing .html beside it is
        // only the browser copy, written again without writing the message twice.
        if (!written)
            writeOutboxFile(_options.dir, emlName, composed.mime);
        writeOutboxFile(_options.dir, htmlName, composed.html);
    }
    catch (const std::runtime_error& e)
    {
        return {reminder.notificationId, DeliveryStatus::Retry, e.what()};
    }
    return {reminder.notificationId, DeliveryStatus::Sent,
            written ? "already in the outbox: " + emlName : ""};
}

void OutboxProvider::forget(const std::string& email)
{
    const std::string wanted = normalizeEmail(email);
    if (!Poco::File(_options.dir).exists())
        return;
    std::set<std::string> stems;
    for (Poco::DirectoryIterator it(_options.dir), end; it != end; ++it)
    {
        const std::string name = it.name();
        if (name.size() > 4 && name.ends_with(".eml") && !name.starts_with(".") &&
            normalizeEmail(recipientOf(it.path().toString())) == wanted)
            stems.insert(name.substr(0, name.size() - 4));
    }
    for (const std::string& stem : stems)
    {
        for (const std::string& file : {stem + ".eml", stem + ".html"})
        {
            const std::string path = Poco::Path(_options.dir, file).toString();
            removeIfPresent(temporaryFileFor(path));
            removeIfPresent(path);
        }
    }
}

void OutboxProvider::expire(Timestamp before)
{
    if (!Poco::File(_options.dir).exists())
        return;
    std::vector<std::string> expired;
    for (Poco::DirectoryIterator it(_options.dir), end; it != end; ++it)
    {
        const std::string name = it.name();
        if ((name.ends_with(".eml") || name.ends_with(".html")) && !name.starts_with(".") &&
            it->getLastModified().epochTime() < before.unixSeconds())
            expired.push_back(it.path().toString());
    }
    for (const std::string& path : expired)
        removeIfPresent(path);
}

} // namespace acd
