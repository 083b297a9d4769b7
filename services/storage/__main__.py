from services.storage.main import main

main()
