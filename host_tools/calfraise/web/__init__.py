"""`calfraise serve`: a small local web app over the session database and the BLE client, for a
phone next to the athlete: history and progress with charts, a page per session, and a live
page fed by the device connected to this computer. No account, no cloud.

    server.py    the aiohttp application: routes, charts as SVG, the live event stream
    pages.py     the HTML of each page (server-rendered; the live page's script is static/)
    live_hub.py  one device connection shared by every open live page
"""
